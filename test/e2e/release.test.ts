/**
 * `pulumi up` with signing, attestations beside the image and a release gate, for real (the
 * go-service seed app on the standalone BuildKit builder, the real cosign and syft): staging builds
 * and signs with the key from its stack's secret config and attaches its SBOM and provenance;
 * production promotes it only after verifying staging's signature for staging's inputs and
 * passing its release gate. A failing gate fails the update with its output and leaves production
 * untagged; the key's text is in no output and nowhere in the state unencrypted.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { findManifest, getManifest } from "../../src/registry";
import { parseImageReference } from "../../src/plan";
import { exampleSettings } from "../../scripts/lib/local";
import {
  type Builder,
  type Engine,
  type SupplyChainTools,
  requireBuilder,
  requireEngine,
  requireSupplyChain,
} from "../integration/engine";
import { requireE2eWorkspace } from "./workspace";

const REPOSITORY_PATH = `multistage-e2e/signed-${Date.now().toString(36)}`;
const PASSWORD = "e2e-cosign-password";

describe("E2E: pulumi up that signs, attests, verifies before promotion and gates the release", function () {
  this.timeout(900_000);
  let engine: Engine;
  let builder: Builder;
  let tools: SupplyChainTools;
  let work: string;
  let keyText: string;
  let blockFile: string;
  const stacks: Record<string, Stack> = {};

  before(async function () {
    engine = requireEngine(this);
    builder = requireBuilder(this);
    tools = requireSupplyChain(this);
    const workspace = requireE2eWorkspace(this, engine, "e2e-release", {
      MULTISTAGE_BUILDX: builder.env.MULTISTAGE_BUILDX ?? "",
      BUILDX_CONFIG: builder.env.BUILDX_CONFIG ?? "",
      MULTISTAGE_COSIGN: tools.cosign,
      MULTISTAGE_SYFT: tools.syft,
      MULTISTAGE_GIT_SHA: "5196000000000000000000000000000000000001",
    });
    work = workspace.root;
    execFileSync(tools.cosign, ["generate-key-pair", "--output-key-prefix", "staging"], {
      cwd: work,
      env: { ...process.env, COSIGN_PASSWORD: PASSWORD },
      stdio: "ignore",
    });
    keyText = fs.readFileSync(path.join(work, "staging.key"), "utf8");
    blockFile = path.join(work, "gate-blocks");
    const registry = engine.registry;
    const { args, localBaseImages } = exampleSettings("go-service");
    for (const stackName of ["staging", "production"]) {
      stacks[stackName] = await LocalWorkspace.createOrSelectStack(
        {
          stackName,
          projectName: "multistage-release",
          program: async () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { MultiStageImage } = require("pulumi-multistage-image") as typeof import("../../src");
            const config = new pulumi.Config();
            const image = new MultiStageImage("go", {
              ...args,
              buildArgs: { ...args.buildArgs, ...localBaseImages },
              backend: "docker-cli",
              builder: builder.endpoint,
              testStage: false,
              environments: {
                staging: { attestations: { sbom: true, provenance: "max" } },
                production: {
                  promoteFrom: "staging",
                  // A scanner in CI; here a script: it fails while the block file exists, saying why.
                  releaseGate: { command: `if [ -f ${blockFile} ]; then cat ${blockFile}; exit 4; fi` },
                },
              },
              // Staging signs with its key (secret config); production only verifies, with the public key.
              signing:
                stackName === "staging"
                  ? { key: config.requireSecret("cosignKey"), keyPassword: config.requireSecret("cosignPassword") }
                  : { publicKeys: [path.join(work, "staging.pub")] },
              registry: {
                repository: `${registry.server}/${REPOSITORY_PATH}`,
                username: registry.username,
                password: registry.password,
              },
            });
            return { imageUri: image.imageUri, tags: image.tags, plan: image.plan };
          },
        },
        { workDir: workspace.workDir, envVars: workspace.env },
      );
    }
    await stacks.staging.setConfig("cosignKey", { value: keyText, secret: true });
    await stacks.staging.setConfig("cosignPassword", { value: PASSWORD, secret: true });
  });

  after(async () => {
    for (const stack of Object.values(stacks))
      await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const cosignVerify = (args: string[], image: string): string => {
    const config = path.join(work, "docker-config");
    fs.mkdirSync(config, { recursive: true });
    const { server, username, password } = engine.registry;
    fs.writeFileSync(
      path.join(config, "config.json"),
      JSON.stringify({ auths: { [server]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } }),
    );
    const root = path.join(work, "trusted-root.json");
    fs.writeFileSync(root, JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" }));
    return execFileSync(
      tools.cosign,
      [...args, "--key", path.join(work, "staging.pub"), "--insecure-ignore-tlog=true", "--trusted-root", root, image],
      { env: { ...process.env, DOCKER_CONFIG: config }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
  };

  let stagingUri = "";

  it("staging: built, signed with the key from secret config, SBOM and provenance beside it; one manifest", async () => {
    const started = Date.now();
    const up = await stacks.staging.up();
    stagingUri = up.outputs.imageUri.value as string;
    const took = /took [^\n]*/.exec(up.stderr + up.stdout)?.[0];
    console.log(`      up staging: ${((Date.now() - started) / 1000).toFixed(1)}s (${took ?? "no timings"})`);
    const digest = parseImageReference(stagingUri).digest as string;
    const manifest = await getManifest(REPOSITORY_PATH, digest, engine.registry);
    assert.equal(manifest.body.manifests, undefined, "one image manifest, not an index");
    const plan = up.outputs.plan.value as { inputsHash?: string; release: { sign: boolean } };
    assert.equal(plan.release.sign, true);
    const signatures = JSON.parse(cosignVerify(["verify"], stagingUri)) as Array<{ optional: Record<string, string> }>;
    assert.equal(signatures[0].optional["dev.multistage.environment"], "staging");
    assert.match(signatures[0].optional["dev.multistage.inputs"], /^sha256:[0-9a-f]{64}$/);
    const sbom = cosignVerify(["verify-attestation", "--type", "spdxjson"], stagingUri);
    assert.ok(sbom.trim().length > 0);
    cosignVerify(["verify-attestation", "--type", "slsaprovenance02"], stagingUri);
    // The key is a secret: in no output, and only encrypted in the state as Pulumi keeps it (the
    // file backend's checkpoint; an export decrypts secrets, so the file itself is read).
    const checkpoints = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) =>
          e.isDirectory()
            ? checkpoints(path.join(dir, e.name))
            : e.name.endsWith(".json")
              ? [path.join(dir, e.name)]
              : [],
        );
    const files = checkpoints(path.join(work, ".pulumi", "stacks"));
    assert.ok(files.length > 0, "the file backend's checkpoint");
    for (const file of files) {
      const text = fs.readFileSync(file, "utf8");
      assert.ok(
        !text.includes("SIGSTORE PRIVATE KEY") && !text.includes(keyText.split("\n")[1]),
        `${file} holds the key`,
      );
    }
    assert.ok(!JSON.stringify(up.outputs).includes("SIGSTORE PRIVATE KEY"));
  });

  it("production: a failing release gate fails the update with its output, and production gets no tag", async () => {
    assert.ok(stagingUri, "needs staging's image");
    fs.writeFileSync(blockFile, "CVE-2026-9999 critical in the Go standard library\n");
    const err = await stacks.production.up().then(
      () => assert.fail("the gate should refuse the promotion"),
      (e: Error) => e,
    );
    assert.match(err.message, /environments\.production\.releaseGate: the release gate refused/);
    assert.match(err.message, /CVE-2026-9999 critical in the Go standard library/);
    assert.equal(await findManifest(REPOSITORY_PATH, "production-519600000000", engine.registry), undefined);
  });

  it("production: staging's signature verified for staging's inputs, the gate passes, the same digest released", async () => {
    fs.rmSync(blockFile, { force: true });
    const started = Date.now();
    const up = await stacks.production.up();
    const took = /took [^\n]*/.exec(up.stderr + up.stdout)?.[0];
    console.log(`      up production: ${((Date.now() - started) / 1000).toFixed(1)}s (${took ?? "no timings"})`);
    assert.equal(up.outputs.imageUri.value, stagingUri, "production runs the digest staging built and signed");
    const tag = parseImageReference((up.outputs.tags.value as string[])[0]).tag as string;
    assert.equal(await findManifest(REPOSITORY_PATH, tag, engine.registry), parseImageReference(stagingUri).digest);
    const again = await stacks.production.up();
    assert.deepEqual(again.summary.resourceChanges, { same: 3 });
  });
});
