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
