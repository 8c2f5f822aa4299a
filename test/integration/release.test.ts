/**
 * Releases you can trust, for real: the publish pipeline on the standalone BuildKit builder and
 * the local registry, with the real cosign and syft. Staging builds, signs (its inputs hash in the
 * signature) and attaches an SBOM and the build's provenance as signed referrers, and the image
 * stays one manifest; `cosign verify` and `cosign verify-attestation` (run here directly, not
 * through the package) accept them. Production then finds the image by its inputs and refuses it
 * when no key it trusts signed it, takes it (adding its own signature) when one did, and a release
 * gate that fails refuses it with its output; a refused image gets no production tag.
 */
import { baseImageResolver, dockerHost } from "../../src/host";
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type BuildPlan, type BuildPlanOptions, planBuildFromFiles } from "../../src";
import { main } from "../../src/cli/main";
import { findManifest, getManifest } from "../../src/registry";
import { parseImageReference, withInputsHash } from "../../src/plan";
import { type PublishResult, prepareImage, publishImage } from "../../src/publish";
import {
  type Builder,
  type Engine,
  type SupplyChainTools,
  requireBuilder,
  requireEngine,
  requireSupplyChain,
} from "./engine";

const RUN = Date.now().toString(36);
/** Production's release tag: `{env}-{gitShortSha}` of the commit the plans name. */
const PRODUCTION_TAG = "production-0123456789ab";
const DOCKERFILE = [
  "FROM multistage-local/busybox:1 AS deps",
  "RUN mkdir -p /app/node_modules/left-pad && \\",
  `    echo '{"name":"left-pad","version":"1.3.0","license":"WTFPL"}' > /app/node_modules/left-pad/package.json`,
  "",
  "FROM multistage-local/busybox:1 AS production",
  "COPY --from=deps /app /app",
  'CMD ["cat", "/app/node_modules/left-pad/package.json"]',
  "",
].join("\n");

describe("Integration: signing, attestations beside the image and the release gate (cosign, syft)", function () {
  this.timeout(600_000);
  let engine: Engine;
  let builder: Builder;
  let tools: SupplyChainTools;
  let keys: string;
  let context: string;
  const repositoryPath = `multistage-tests/release-${RUN}`;
  let staging: PublishResult & { plan: BuildPlan };

  const keyPair = (name: string): { key: string; pub: string } => {
    execFileSync(tools.cosign, ["generate-key-pair", "--output-key-prefix", name], {
      cwd: keys,
      env: { ...process.env, COSIGN_PASSWORD: `pw-${name}` },
      stdio: "ignore",
    });
    return {
      key: fs.readFileSync(path.join(keys, `${name}.key`), "utf8"),
      pub: path.join(keys, `${name}.pub`),
    };
  };

  before(async function () {
    engine = requireEngine(this);
    builder = requireBuilder(this);
    tools = requireSupplyChain(this);
    keys = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-keys-"));
    context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-release-"));
    fs.writeFileSync(path.join(context, "Dockerfile"), DOCKERFILE);
  });

  /** Plan `environment` and publish it through the real pipeline; `key` is the signing key given to the resource. */
  async function publish(
    environment: string,
    options: Partial<BuildPlanOptions>,
    key?: { key: string; keyPassword: string },
  ): Promise<PublishResult & { plan: BuildPlan }> {
    const plan = planBuildFromFiles({
      context,
      environment,
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      builder: builder.name,
      registryCache: false,
      ...options,
    } as BuildPlanOptions);
    const registry = engine.registry;
    const prepared = await prepareImage(plan, registry, {
      resolveImages: baseImageResolver(builder.env),
      secret: false,
      warn: () => undefined,
    });
    const references = withInputsHash(plan.tags, prepared.inputs.hash).map(
      (t) => `${registry.server}/${repositoryPath}:${t}`,
    );
    const statuses: string[] = [];
    const result = await publishImage(
      { plan, references, push: true, registry, ...prepared, ...(key ? { signing: key } : {}), cwd: context },
      undefined,
      dockerHost(plan, { env: builder.env, onStatus: (l) => statuses.push(l) }),
    );
    console.log(`      ${environment}: ${statuses.join(" · ")}`);
    console.log(
      `      ${environment} took: ${Object.entries(result.timings ?? {})
        .map(([s, ms]) => `${s} ${(ms / 1000).toFixed(2)} s`)
        .join(", ")}`,
    );
    return { ...result, plan };
  }

  const cosign = (args: string[]): string =>
    execFileSync(tools.cosign, args, {
      env: { ...process.env, DOCKER_CONFIG: dockerConfig() },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });

  /** A Docker config with the local registry's login, for cosign run by the test itself. */
  let config: string | undefined;
  function dockerConfig(): string {
    if (config) return config;
    config = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-cosign-config-"));
    const { server, username, password } = engine.registry;
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    fs.writeFileSync(path.join(config, "config.json"), JSON.stringify({ auths: { [server]: { auth } } }));
    return config;
  }
  const trustedRoot = (): string => {
    const file = path.join(keys, "trusted-root.json");
    fs.writeFileSync(file, JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" }));
    return file;
  };

  it("staging builds, signs with its inputs hash and attaches SBOM and provenance; cosign verifies both; one manifest", async () => {
    const k1 = keyPair("staging");
    staging = await publish(
      "staging",
      { signing: { key: true, publicKeys: [] }, attestations: { sbom: true, provenance: "max" } },
      { key: k1.key, keyPassword: "pw-staging" },
    );
    assert.equal(staging.plan.attestations.store, "referrers");
    assert.equal(staging.reused, false);
    const image = staging.imageUri;
    // cosign itself: the signature, with our annotations.
    const verified = JSON.parse(
      cosign([
        "verify",
        "--key",
        k1.pub,
        "--insecure-ignore-tlog=true",
        "--trusted-root",
        trustedRoot(),
        "-a",
        `dev.multistage.inputs=${staging.inputs.hash}`,
        image,
      ]),
    ) as Array<{ optional: Record<string, string> }>;
    assert.equal(verified[0].optional["dev.multistage.environment"], "staging");
    // The SBOM names the package the image holds; the provenance names the build.
    const attestation = (type: string): { predicate: Record<string, unknown> } => {
      const out = cosign([
        "verify-attestation",
        "--key",
        k1.pub,
        "--insecure-ignore-tlog=true",
        "--trusted-root",
        trustedRoot(),
        "--type",
        type,
        image,
      ]);
      const envelope = JSON.parse(out.trim().split("\n")[0]) as { payload: string };
      return JSON.parse(Buffer.from(envelope.payload, "base64").toString()) as { predicate: Record<string, unknown> };
    };
    const sbom = attestation("spdxjson").predicate as { packages: Array<{ name: string; versionInfo: string }> };
    assert.ok(
      sbom.packages.some((p) => p.name === "left-pad" && p.versionInfo === "1.3.0"),
      JSON.stringify(sbom.packages.map((p) => p.name)),
    );
    const provenance = attestation("slsaprovenance02").predicate as { buildType: string; invocation: unknown };
    assert.match(provenance.buildType, /buildkit/i);
    // Still one image manifest: what ECS and Lambda take.
    const manifest = await getManifest(repositoryPath, staging.digest, engine.registry);
    assert.equal(manifest.body.manifests, undefined, "not an index");
    assert.ok(!/index|manifest\.list/.test(manifest.mediaType), manifest.mediaType);
    // Attested again by a second update (found by its inputs): nothing new is attached.
    const again = await publish(
      "staging",
      { signing: { key: true, publicKeys: [] }, attestations: { sbom: true, provenance: "max" } },
      { key: k1.key, keyPassword: "pw-staging" },
    );
    assert.equal(again.reused, true);
    assert.equal(again.timings?.sign !== undefined, true);
    const signatures = JSON.parse(
      cosign(["verify", "--key", k1.pub, "--insecure-ignore-tlog=true", "--trusted-root", trustedRoot(), image]),
    ) as unknown[];
    assert.equal(signatures.length, 1, "staging's signature is not made twice");
  });

  it("production refuses the image when no key it trusts signed it, naming the digest; no production tag", async () => {
    assert.ok(staging, "needs the staging image");
    const k2 = keyPair("production");
    const err = await publish(
      "production",
      { signing: { key: true, publicKeys: [] } },
      { key: k2.key, keyPassword: "pw-production" },
    ).then(
      () => assert.fail("production should refuse an image only staging's key signed"),
      (e: Error) => e,
    );
    assert.match(err.message, new RegExp(`refuses ${engine.registry.server}/${repositoryPath}@${staging.digest}`));
    assert.match(err.message, /no signature by a trusted key/);
    const tag = await findManifest(repositoryPath, PRODUCTION_TAG, engine.registry);
    assert.equal(tag, undefined, "no production tag");
  });

  it("a failing release gate refuses it with its output; a passing one sees the digest-pinned reference, then the tags", async () => {
    const k2 = { key: fs.readFileSync(path.join(keys, "production.key"), "utf8"), keyPassword: "pw-production" };
    const trusted = { key: true, publicKeys: [path.join(keys, "staging.pub")].map((f) => fs.readFileSync(f, "utf8")) };
    const gateFile = path.join(context, "gate-saw.txt");
    const failing = await publish(
      "production",
      {
        signing: trusted,
        environments: {
          production: { releaseGate: { command: 'echo "CVE-2026-4242 critical in left-pad 1.3.0"; exit 3' } },
        },
      },
      k2,
    ).then(
      () => assert.fail("the gate should refuse"),
      (e: Error) => e,
    );
    assert.match(
      failing.message,
      /environments\.production\.releaseGate: the release gate refused .*@sha256:[0-9a-f]{64} \(exit 3\)/,
    );
    assert.match(failing.message, /CVE-2026-4242 critical in left-pad 1\.3\.0/);
    assert.equal(await findManifest(repositoryPath, PRODUCTION_TAG, engine.registry), undefined);
    // Every check before any signature: the image its gate refused carries none of production's.
    assert.throws(
      () =>
        cosign([
          "verify",
          "--key",
          path.join(keys, "production.pub"),
          "--insecure-ignore-tlog=true",
          "--trusted-root",
          trustedRoot(),
          `${engine.registry.server}/${repositoryPath}@${staging.digest}`,
        ]),
      /no signatures found|no matching signatures/,
      "production signed an image its release gate refused",
    );

    const passed = await publish(
      "production",
      {
        signing: trusted,
        environments: {
          production: {
            releaseGate: { command: `printf '%s %s' "$MULTISTAGE_IMAGE" "$MULTISTAGE_ENVIRONMENT" > ${gateFile}` },
          },
        },
      },
      k2,
    );
    assert.equal(passed.digest, staging.digest, "production releases the digest staging built");
    assert.equal(
      fs.readFileSync(gateFile, "utf8"),
      `${engine.registry.server}/${repositoryPath}@${staging.digest} production`,
    );
    const productionTag = parseImageReference(passed.references[0]).tag ?? "";
    assert.equal(productionTag, PRODUCTION_TAG);
    assert.equal(await findManifest(repositoryPath, productionTag, engine.registry), staging.digest, productionTag);
    // Now signed by both: staging's key and production's own, each with the inputs hash.
    for (const pub of ["staging.pub", "production.pub"])
      cosign([
        "verify",
        "--key",
        path.join(keys, pub),
        "--insecure-ignore-tlog=true",
        "--trusted-root",
        trustedRoot(),
        "-a",
        `dev.multistage.inputs=${staging.inputs.hash}`,
        passed.imageUri,
      ]);
  });

  it("multistage verify: this checkout's image verifies with the key that signed it; another key, or an edited checkout, does not", async () => {
    assert.ok(staging, "needs the staging image");
    const run = async (dir: string, key: string, ref = staging.imageUri): Promise<{ code: number; out: string }> => {
      let out = "";
      // The component's args, as a program has them: the builder decides how base images resolve.
      const config = path.join(dir, "multistage.json");
      fs.writeFileSync(config, JSON.stringify({ context: ".", builder: builder.name }));
      const code = await main(["verify", "-e", "production", "--config", config, "--key", key, ref], {
        out: (t) => (out += t),
        err: (t) => (out += t),
        cwd: dir,
        env: {
          ...builder.env,
          MULTISTAGE_REGISTRY_USER: engine.registry.username,
          MULTISTAGE_REGISTRY_PASSWORD: engine.registry.password,
          MULTISTAGE_COSIGN: tools.cosign,
        },
      });
      console.log(out.replace(/^/gm, "      "));
      return { code, out };
    };
    const tagged = `${engine.registry.server}/${repositoryPath}:${PRODUCTION_TAG}`;
    const good = await run(context, path.join(keys, "staging.pub"), tagged);
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /✔ signature: signed by a trusted key for these inputs \(environment staging\)/);
    assert.match(good.out, /✔ inputs tag: inputs-[0-9a-f]{64} names this digest/);
    // A key that signed nothing here: refused.
    keyPair("other");
    const other = await run(context, path.join(keys, "other.pub"));
    assert.equal(other.code, 1, other.out);
    assert.match(other.out, /✘ signature: no signature by the key for inputs sha256:[0-9a-f]{64} \(cosign: .+\)/);
    // A checkout whose Dockerfile differs builds other inputs: neither the signature nor the tag vouches for it.
    const edited = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-release-edited-"));
    fs.writeFileSync(path.join(edited, "Dockerfile"), DOCKERFILE.replace("1.3.0", "1.3.1"));
    const changed = await run(edited, path.join(keys, "staging.pub"));
    assert.equal(changed.code, 1, changed.out);
    assert.match(changed.out, /✘ signature: no signature by the key for inputs/);
    assert.match(changed.out, /✘ inputs tag: the repository has no inputs-/);
  });
});
