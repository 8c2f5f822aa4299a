/**
 * `pulumi up` with no Docker daemon in the build: engine "podman" builds and pushes the go-service
 * seed app's dev and production images (daemonless, vfs storage) through the same pipeline and
 * image resource as the Docker CLI. A second up is a no-op; an edit of production's labels
 * rebuilds production alone; a failing test fails production's update with the test's output,
 * located in the Dockerfile as BuildKit's failures are, and pushes nothing.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { getManifest } from "../../src/registry";
import { parseImageReference } from "../../src/plan";
import { REPO_ROOT, exampleSettings } from "../../scripts/lib/local";
import {
  type DaemonlessEngines,
  type Engine,
  requireBuilder,
  requireDaemonless,
  requireEngine,
} from "../integration/engine";
import { requireE2eWorkspace } from "./workspace";

const REPOSITORY_PATH = `multistage-e2e/podman-${Date.now().toString(36)}`;

describe("E2E: pulumi up through Podman (no Docker daemon in the build)", function () {
  this.timeout(1_200_000);
  let engine: Engine;
  let podman: DaemonlessEngines;
  let work: string;
  let app: string;
  /** Production's description label: edited to rebuild production alone. */
  let description = "go-service through podman";
  const stacks: Record<string, Stack> = {};

  before(async function () {
    engine = requireEngine(this);
    requireBuilder(this); // pushes the offline base images to the registry, where podman pulls them
    podman = requireDaemonless(this);
    const workspace = requireE2eWorkspace(this, engine, "e2e-podman", {
      MULTISTAGE_PODMAN: podman.env.MULTISTAGE_PODMAN ?? "",
      CONTAINERS_STORAGE_CONF: podman.env.CONTAINERS_STORAGE_CONF ?? "",
      CONTAINERS_REGISTRIES_CONF: podman.env.CONTAINERS_REGISTRIES_CONF ?? "",
      MULTISTAGE_GIT_SHA: "90d0000000000000000000000000000000000001",
    });
    work = workspace.root;
    // A copy of the seed app: its test is made to fail below.
    app = path.join(work, "app");
    fs.cpSync(path.join(REPO_ROOT, "examples", "go-service", "app"), app, { recursive: true });
    const registry = engine.registry;
    const { args, localBaseImages } = exampleSettings("go-service");
    for (const stackName of ["dev", "production"]) {
      stacks[stackName] = await LocalWorkspace.createOrSelectStack(
        {
          stackName,
          projectName: "multistage-podman",
          program: async () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { MultiStageImage } = require("pulumi-multistage-image") as typeof import("../../src");
            const image = new MultiStageImage("go", {
              ...args,
              context: app,
              buildArgs: { ...args.buildArgs, ...localBaseImages },
              backend: "docker-cli",
              engine: "podman",
              environments: { production: { labels: { "org.opencontainers.image.description": description } } },
              registry: {
                repository: `${registry.server}/${REPOSITORY_PATH}`,
                username: registry.username,
                password: registry.password,
              },
            });
            return { imageUri: image.imageUri, tags: image.tags, plan: image.plan, rebuildReason: image.rebuildReason };
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

  const digests: Record<string, string> = {};

  for (const stackName of ["dev", "production"]) {
    it(`${stackName}: built and pushed by podman; imageUri is the registry's digest of its tag`, async () => {
      const started = Date.now();
      const up = await stacks[stackName].up();
      const took = /took [^\n]*/.exec(up.stderr + up.stdout)?.[0];
      console.log(`      up ${stackName}: ${((Date.now() - started) / 1000).toFixed(1)}s (${took ?? "no timings"})`);
      const plan = up.outputs.plan.value as { engine: string; targetStage: string; testTarget?: string };
      assert.equal(plan.engine, "podman");
      assert.equal(plan.targetStage, stackName === "dev" ? "builder" : "production");
      const tag = parseImageReference((up.outputs.tags.value as string[])[0]).tag as string;
      const manifest = await getManifest(REPOSITORY_PATH, tag, engine.registry);
      assert.match(manifest.mediaType, /application\/vnd\.oci\.image\.manifest\.v1\+json/);
      digests[stackName] = manifest.digest;
      assert.equal(up.outputs.imageUri.value, `${engine.registry.server}/${REPOSITORY_PATH}@${manifest.digest}`);
      assert.match(up.outputs.rebuildReason.value as string, /^first build/);
    });
  }

  it("a second up of each is a no-op; an edit of production's labels rebuilds production alone", async () => {
    for (const stackName of ["dev", "production"]) {
      const again = await stacks[stackName].up();
      assert.deepEqual(again.summary.resourceChanges, { same: 3 }, stackName);
    }
    description = "go-service through podman, relabelled";
    const dev = await stacks.dev.up();
    assert.deepEqual(dev.summary.resourceChanges, { same: 3 }, "dev reads no production label");
    const production = await stacks.production.up();
    assert.deepEqual(production.summary.resourceChanges, { same: 2, update: 1 });
    assert.notEqual(parseImageReference(production.outputs.imageUri.value as string).digest, digests.production);
    assert.doesNotMatch(production.outputs.rebuildReason.value as string, /^(unchanged|reused)/);
  });

  it("a failing test fails production's update with the test's output, located in the Dockerfile", async () => {
    const test = path.join(app, "main_test.go");
    const passing = fs.readFileSync(test, "utf8");
    fs.writeFileSync(
      test,
      `${passing}\nfunc TestPodmanGate(t *testing.T) { t.Fatal("podman gate: this test fails on purpose") }\n`,
    );
    try {
      const err = await stacks.production.up().then(
        () => assert.fail("the test gate should fail"),
        (e: Error) => e,
      );
      assert.match(
        err.message,
        /test gate of environment "production" failed in stage "test" at \S*Dockerfile:21: RUN/,
      );
      assert.match(err.message, /podman gate: this test fails on purpose/);
    } finally {
      fs.writeFileSync(test, passing);
    }
  });
});
