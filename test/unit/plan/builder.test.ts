import { strict as assert } from "assert";
import {
  type Diagnostic,
  attestationSpec,
  builderSpec,
  cacheTag,
  planBuild,
  registryCacheEnabled,
  validatePlatforms,
} from "../../../src/plan";
import { dockerfile } from "../../helpers";

const PARSED = dockerfile(`
  FROM busybox:1.36 AS deps
  FROM deps AS builder
  RUN --mount=type=ssh git clone git@example.com:acme/lib.git
  FROM builder AS test
  FROM busybox:1.36 AS docs
  FROM busybox:1.36 AS production
  COPY --from=builder /a /a
`);

describe("builder, platforms, registry cache and attestations in the plan", () => {
  it("a builder is a buildx builder's name or a tcp:// / unix:// endpoint", () => {
    const diagnostics: Diagnostic[] = [];
    assert.deepEqual(builderSpec("ci-farm", diagnostics), { name: "ci-farm" });
    assert.deepEqual(builderSpec("tcp://10.0.0.5:1234", diagnostics), { endpoint: "tcp://10.0.0.5:1234" });
    assert.deepEqual(builderSpec("unix:///run/buildkit/buildkitd.sock", diagnostics), {
      endpoint: "unix:///run/buildkit/buildkitd.sock",
    });
    assert.equal(diagnostics.length, 0);
    assert.equal(builderSpec("ssh://farm", diagnostics), undefined);
    assert.equal(builderSpec({ endpoint: "tcp://farm:1234", tls: { cert: "c.pem" } }, diagnostics), undefined);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.property]),
      [
        ["invalid-builder", "builder.endpoint"],
        ["invalid-builder", "builder.tls"],
      ],
    );
  });

  it("platforms are os/arch[/variant], each once", () => {
    const diagnostics: Diagnostic[] = [];
    validatePlatforms(["linux/amd64", "linux/arm/v7", "windows/amd64"], "platforms", diagnostics);
    assert.equal(diagnostics.length, 0);
    validatePlatforms(["linux", "linux/arm64", "linux/arm64"], "environments.production.platforms", diagnostics);
    assert.deepEqual(
      diagnostics.map((d) => d.property),
      ["environments.production.platforms[0]", "environments.production.platforms"],
    );
  });

  it("cache tags are cache-<target>-<env>, squeezed into a valid tag", () => {
    assert.equal(cacheTag("builder", "dev"), "cache-builder-dev");
    assert.equal(cacheTag("#2", "prod/eu west"), "cache-2-prod-eu-west");
    assert.equal(cacheTag("x".repeat(200), "dev").length, 128);
  });

  it("cache tags name the platforms built, so stacks of other platforms keep their own caches", () => {
    assert.equal(cacheTag("builder", "dev", ["linux/arm64"]), "cache-builder-dev-linux-arm64");
    assert.equal(cacheTag("app", "prod", ["linux/amd64", "linux/arm/v7"]), "cache-app-prod-linux-amd64_linux-arm-v7");
    assert.notEqual(cacheTag("app", "prod", ["linux/amd64"]), cacheTag("app", "prod", ["linux/arm64"]));
    // Cut to 128 characters, two long names still differ: the end is a hash of the whole.
    const long = (p: string): string => cacheTag("x".repeat(120), "dev", [p]);
    assert.equal(long("linux/amd64").length, 128);
    assert.notEqual(long("linux/amd64"), long("linux/arm64"));
  });

  it("an amd64 and an arm64 stack export and read separate caches; another platform's cache is not read", () => {
    const environments = {
      dev: { platform: "linux/arm64" },
      production: { platform: "linux/amd64" },
      staging: { kind: "staging" as const, platform: "linux/amd64" },
    };
    const options = { context: ".", environments, builder: "farm", ssh: [{ id: "default" }] };
    const production = planBuild(PARSED, { ...options, environment: "production" });
    assert.equal(production.cache?.to, "cache-production-production-linux-amd64");
    // staging builds amd64 too; dev's arm64 layers cannot serve an amd64 build.
    assert.deepEqual(production.cache?.from, [
      "cache-production-production-linux-amd64",
      "cache-production-staging-linux-amd64",
    ]);
    const dev = planBuild(PARSED, { ...options, environment: "dev" });
    assert.deepEqual(dev.cache?.from, ["cache-builder-dev-linux-arm64"]);
    // The builder's own platform may be any: an index holding it is read.
    const native = planBuild(PARSED, {
      ...options,
      environment: "dev",
      environments: { dev: {}, production: { platforms: ["linux/amd64", "linux/arm64"] } },
    });
    assert.deepEqual(native.cache?.from, ["cache-builder-dev", "cache-production-production-linux-amd64_linux-arm64"]);
  });

  it("the registry cache is on with a builder unless turned off; the environment's setting wins", () => {
    assert.equal(registryCacheEnabled(undefined, undefined, false), false);
    assert.equal(registryCacheEnabled(undefined, undefined, true), true);
    assert.equal(registryCacheEnabled(false, undefined, true), false);
    assert.equal(registryCacheEnabled({ mode: "min" }, undefined, false), true);
    assert.equal(registryCacheEnabled(true, false, true), false);
  });

  it("attestations are off unless asked for; true is provenance max with an SBOM", () => {
    assert.deepEqual(attestationSpec(undefined), { provenance: false, sbom: false });
    assert.deepEqual(attestationSpec(true), { provenance: "max", sbom: true });
    assert.deepEqual(attestationSpec({ provenance: true }), { provenance: "max", sbom: false });
    assert.deepEqual(attestationSpec({ sbom: true }), { provenance: false, sbom: true });
  });

  it("reads other environments' caches only where their targets share a stage with this one", () => {
    const environments = { dev: {}, docs: { kind: "staging" as const, target: "docs" }, production: {} };
    const plan = planBuild(PARSED, {
      context: ".",
      environment: "production",
      environments,
      builder: "farm",
      ssh: [{ id: "default" }],
    });
    // docs builds a stage production does not: its cache cannot help.
    assert.deepEqual(plan.cache?.from, ["cache-production-production", "cache-builder-dev"]);
    assert.equal(plan.testTarget, "test");
  });

  it("several platforms or a registry cache without a builder are warnings (the engine's builder may lack them)", () => {
    const plan = planBuild(PARSED, {
      context: ".",
      environment: "production",
      platforms: ["linux/amd64", "linux/arm64"],
      registryCache: true,
      ssh: [{ id: "default" }],
    });
    assert.deepEqual(
      plan.warnings.map((w) => [w.code, w.property]),
      [
        ["invalid-platform", "platforms"],
        ["invalid-cache", "registryCache"],
      ],
    );
    assert.deepEqual(plan.platforms, ["linux/amd64", "linux/arm64"]);
  });

  it("an SSH mount without the forwarding warns with the fix; a forwarding nothing mounts warns too", () => {
    const plan = planBuild(PARSED, { context: ".", environment: "dev", ssh: [{ id: "github" }] });
    assert.deepEqual(
      plan.warnings.map((w) => [w.code, w.property, w.line]),
      [
        ["missing-ssh", "ssh", 3],
        ["unused-ssh", "ssh[0]", undefined],
      ],
    );
    assert.match(plan.warnings[0].hint ?? "", /ssh: \[\{ id: "default" \}\]/);
  });
});
