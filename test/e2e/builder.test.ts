/**
 * `pulumi up` with a BuildKit builder given by endpoint (the standalone daemon of
 * scripts/buildkit-up.sh; production through tcp:// with mutual TLS, dev through its unix socket): production of the go-service example builds linux/amd64 and
 * linux/arm64 into one index after its test stage passes, exports the registry cache, and
 * `imageUri` pins the index; dev builds its toolchain stage and reads production's cache.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { getBlob, getManifest } from "../../src/registry";
import { exampleSettings } from "../../scripts/lib/local";
import { type Builder, type Engine, requireBuilder, requireEngine } from "../integration/engine";
import { requireE2eWorkspace } from "./workspace";
import { parseImageReference } from "../../src/plan";

const REPOSITORY_PATH = `multistage-e2e/go-${Date.now().toString(36)}`;

describe("E2E: pulumi up on a BuildKit endpoint: two platforms in one index, registry cache", function () {
  this.timeout(900_000);
  let engine: Engine;
  let builder: Builder;
  let work: string;
  const stacks: Record<string, Stack> = {};

  before(async function () {
    engine = requireEngine(this);
    builder = requireBuilder(this);
    const workspace = requireE2eWorkspace(this, engine, "e2e-builder", {
      // The buildx plugin and where buildx keeps builders: the provider registers the endpoint there.
      MULTISTAGE_BUILDX: builder.env.MULTISTAGE_BUILDX ?? "",
      BUILDX_CONFIG: builder.env.BUILDX_CONFIG ?? "",
      MULTISTAGE_GIT_SHA: "b01d000000000000000000000000000000000001",
    });
    work = workspace.root;
    const registry = engine.registry;
    const { args, localBaseImages } = exampleSettings("go-service");
    const GO_IMAGE = localBaseImages.GO_IMAGE;
    for (const stackName of ["production", "dev"]) {
      stacks[stackName] = await LocalWorkspace.createOrSelectStack(
        {
          stackName,
          projectName: "multistage-builder",
          program: async () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { MultiStageImage } = require("pulumi-multistage-image") as typeof import("../../src");
            const image = new MultiStageImage("go", {
              ...args,
              buildArgs: { ...args.buildArgs, ...localBaseImages },
              backend: "docker-cli",
              // Production through tcp:// with mutual TLS (a shared build farm), dev through the unix socket.
              builder:
                stackName === "production"
                  ? {
                      endpoint: builder.tls.endpoint,
                      tls: { caCert: builder.tls.caCert, cert: builder.tls.cert, key: builder.tls.key },
                    }
                  : builder.endpoint,
              environments: {
                // Dev: its Go toolchain image routed through the registry by a named context, and a
                // local cache directory beside the registry cache.
                dev: { cacheTo: [`type=local,dest=${work}/cache,mode=max`] },
                production: { platforms: ["linux/amd64", "linux/arm64"] },
              },
              contexts:
                stackName === "dev" ? { [GO_IMAGE]: `docker-image://${registry.server}/${GO_IMAGE}` } : undefined,
              labels: { "org.opencontainers.image.description": "go-service (e2e)" },
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
  });

  after(async () => {
    for (const stack of Object.values(stacks))
      await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("production: one index with linux/amd64 and linux/arm64; imageUri pins it; the cache is in the registry", async () => {
    const started = Date.now();
    const up = await stacks.production.up();
    const imageUri = up.outputs.imageUri.value as string;
    const plan = up.outputs.plan.value as { platforms: string[]; cache: { to: string }; testTarget: string };
    console.log(`      up production: ${((Date.now() - started) / 1000).toFixed(1)}s, ${imageUri}`);
    assert.equal(plan.testTarget, "test");
    const tag = parseImageReference((up.outputs.tags.value as string[])[0]).tag as string;
    const index = await getManifest(REPOSITORY_PATH, tag, engine.registry);
    assert.equal(imageUri, `${engine.registry.server}/${REPOSITORY_PATH}@${index.digest}`);
    assert.deepEqual((index.body.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}`).sort(), [
      "linux/amd64",
      "linux/arm64",
    ]);
    const cache = await getManifest(REPOSITORY_PATH, plan.cache.to, engine.registry);
    assert.equal(cache.body.config?.mediaType, "application/vnd.buildkit.cacheconfig.v0");
  });

  it("dev: the toolchain stage for the builder's platform, reading production's cache; a second up is a no-op", async () => {
    const up = await stacks.dev.up();
    const plan = up.outputs.plan.value as { targetStage: string; platforms: string[]; cache: { from: string[] } };
    assert.equal(plan.targetStage, "builder");
    assert.deepEqual(plan.platforms, []);
    assert.deepEqual(plan.cache.from, ["cache-builder-dev", "cache-production-production-linux-amd64_linux-arm64"]);
    const tag = parseImageReference((up.outputs.tags.value as string[])[0]).tag as string;
    const image = await getManifest(REPOSITORY_PATH, tag, engine.registry);
    assert.match(image.mediaType, /image\.manifest/);
    assert.equal(up.outputs.imageUri.value, `${engine.registry.server}/${REPOSITORY_PATH}@${image.digest}`);
    const again = await stacks.dev.up();
    assert.deepEqual(again.summary.resourceChanges, { same: 3 });
  });

  it("dev: the labels in the pushed image's config, the base from the named context, the local cache on disk", async () => {
    const outputs = await stacks.dev.outputs();
    const plan = outputs.plan.value as { closure: { stages: Array<{ stage: string; base: string }> } };
    const tag = parseImageReference((outputs.tags.value as string[])[0]).tag as string;
    const image = await getManifest(REPOSITORY_PATH, tag, engine.registry);
    const config = JSON.parse(
      (await getBlob(REPOSITORY_PATH, image.body.config?.digest as string, engine.registry)).toString(),
    ) as { config: { Labels: Record<string, string> } };
    assert.deepEqual(
      {
        description: config.config.Labels["org.opencontainers.image.description"],
        revision: config.config.Labels["org.opencontainers.image.revision"],
        target: config.config.Labels["dev.multistage.target"],
      },
      { description: "go-service (e2e)", revision: "b01d000000000000000000000000000000000001", target: "builder" },
    );
    // The toolchain stage starts from the registry's copy of the image, by the named context.
    const builderStage = plan.closure.stages.find((s) => s.stage === "builder");
    assert.equal(builderStage?.base, `image ${engine.registry.server}/multistage-local/golang:1.26`);
    assert.ok(fs.existsSync(`${work}/cache/index.json`), "the local cache was exported");
  });
});
