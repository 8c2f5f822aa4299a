/**
 * Real `pulumi up` of the php-laravel example with the docker-cli back end: an image is built
 * only when its target's own inputs change, and says why; the registry is asked first.
 * - an edit to a file only dev and the tests copy leaves production unchanged (no build, same
 *   digest), and rebuilds dev, naming the file;
 * - an edit to a file production copies rebuilds it, naming the file and the stage;
 * - a volatile arg changes nothing; the same arg, not volatile, rebuilds and is named;
 * - an arg only another target declares changes nothing;
 * - a base image republished under its tag rebuilds, named with both digests;
 * - a fresh stack (empty state) over an image the registry already holds builds nothing.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { findManifest, getManifest } from "../../src/registry";
import { REPO_ROOT, exampleSettings } from "../../scripts/lib/local";
import { type Engine, requireEngine } from "../integration/engine";
import { requireE2eWorkspace } from "./workspace";
import { digestOf } from "../../src/plan";

const REPOSITORY_PATH = `multistage-e2e/php-${Date.now().toString(36)}`;

describe("E2E: pulumi up builds only what a target's inputs need, says why, and asks the registry first", function () {
  this.timeout(900_000);
  let engine: Engine;
  let work: string;
  let app: string;
  let workDir: string;
  let env: Record<string, string>;
  const stacks: Stack[] = [];

  /** A stack of the php-laravel image; its name is the environment unless `multistage:environment` says otherwise. */
  async function stack(stackName: string): Promise<Stack> {
    const registry = engine.registry;
    const { args, localBaseImages } = exampleSettings("php-laravel");
    const s = await LocalWorkspace.createOrSelectStack(
      {
        stackName,
        projectName: "multistage-rebuild",
        program: async () => {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { MultiStageImage } = require("pulumi-multistage-image") as typeof import("../../src");
          const config = new pulumi.Config();
          const image = new MultiStageImage("php", {
            context: app,
            buildArgs: { ...localBaseImages, APP_VERSION: config.get("appVersion") ?? "1.0.0" },
            volatileArgs: config.getBoolean("volatileVersion") ? ["APP_VERSION"] : [],
            environments: {
              production: {
                ...(config.get("promoteFrom") ? { promoteFrom: config.get("promoteFrom") } : {}),
                ...(config.get("sizeBudget") ? { sizeBudget: config.get("sizeBudget") } : {}),
              },
            },
            backend: "docker-cli",
            registry: {
              repository: `${registry.server}/${REPOSITORY_PATH}`,
              username: registry.username,
              password: registry.password,
            },
          });
          void args;
          return { imageUri: image.imageUri, rebuildReason: image.rebuildReason, plan: image.plan, size: image.size };
        },
      },
      { workDir, envVars: env },
    );
    stacks.push(s);
    return s;
  }

  const edit = (file: string, text: string): void => fs.appendFileSync(path.join(app, file), text);

  before(async function () {
    engine = requireEngine(this);
    const workspace = requireE2eWorkspace(this, engine, "e2e-rebuild", {
      MULTISTAGE_GIT_SHA: "feed000000000000000000000000000000000001",
    });
    ({ root: work, workDir, env } = workspace);
    app = path.join(work, "app");
    fs.cpSync(path.join(REPO_ROOT, "examples", "php-laravel", "app"), app, { recursive: true });
  });

  after(async () => {
    for (const s of stacks) await s.workspace.removeStack(s.name, { force: true }).catch(() => undefined);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  let production: Stack;
  let dev: Stack;
  let first: string;

  it("first up: production and dev are built, and say so; each is also tagged by its inputs", async () => {
    production = await stack("production");
    dev = await stack("dev");
    const prod = await production.up();
    first = prod.outputs.imageUri.value as string;
    assert.match(prod.outputs.rebuildReason.value as string, /^first build/);
    const plan = prod.outputs.plan.value as { closure: { patterns: string[] } };
    assert.deepEqual(plan.closure.patterns, ["app", "composer.json", "composer.lock", "packages", "public", "routes"]);
    const up = await dev.up();
    assert.match(up.outputs.rebuildReason.value as string, /^first build/);
    const tags = await (
      await fetch(`http://${engine.registry.server}/v2/${REPOSITORY_PATH}/tags/list`, {
        headers: {
          Authorization: `Basic ${Buffer.from(`${engine.registry.username}:${engine.registry.password}`).toString("base64")}`,
        },
      })
    ).json();
    assert.equal((tags as { tags: string[] }).tags.filter((t) => t.startsWith("inputs-")).length, 2);
  });

  it("a test file (dev's and the test stage's only): production does not change, dev rebuilds and names the file", async () => {
    edit("tests/HelloTest.php", "\n// another test, some day\n");
    const preview = await production.preview();
    assert.deepEqual(preview.changeSummary, { same: 3 });
    const prod = await production.up();
    assert.deepEqual(prod.summary.resourceChanges, { same: 3 });
    assert.equal(prod.outputs.imageUri.value, first);
    const up = await dev.up();
    assert.deepEqual(up.summary.resourceChanges, { same: 2, update: 1 });
    assert.equal(up.outputs.rebuildReason.value, 'stage "dev": tests/HelloTest.php changed');
  });

  it("a file production copies: production rebuilds, naming the file and the stage", async () => {
    edit("app/Http/Controllers/HelloController.php", "\n// a comment in production code\n");
    const prod = await production.up();
    assert.deepEqual(prod.summary.resourceChanges, { same: 2, update: 1 });
    assert.notEqual(prod.outputs.imageUri.value, first);
    assert.equal(
      prod.outputs.rebuildReason.value,
      'stage "production": app/Http/Controllers/HelloController.php changed',
    );
    first = prod.outputs.imageUri.value as string;
  });

  it("a volatile arg's value changes nothing; not volatile, a new value rebuilds, named", async () => {
    await production.setConfig("volatileVersion", { value: "true" });
    const marked = await production.up();
    assert.equal(marked.outputs.rebuildReason.value, 'stage "production": arg APP_VERSION became volatile');
    await production.setConfig("appVersion", { value: "1.0.1" });
    const quiet = await production.up();
    assert.deepEqual(quiet.summary.resourceChanges, { same: 3 });
    assert.equal(quiet.outputs.imageUri.value, marked.outputs.imageUri.value);
    await production.setConfig("volatileVersion", { value: "false" });
    await production.up();
    await production.setConfig("appVersion", { value: "1.0.2" });
    const loud = await production.up();
    assert.deepEqual(loud.summary.resourceChanges, { same: 2, update: 1 });
    assert.equal(loud.outputs.rebuildReason.value, 'stage "production": arg APP_VERSION changed');
    first = loud.outputs.imageUri.value as string;
  });

  it("an arg the target does not declare (APP_VERSION is production's): dev neither rebuilds nor changes", async () => {
    // Dev copies the whole app: it first takes the controller edited above.
    const before = (await dev.up()).outputs.imageUri.value as string;
    await dev.setConfig("appVersion", { value: "9.9.9" });
    const preview = await dev.preview();
    assert.deepEqual(preview.changeSummary, { same: 3 });
    const up = await dev.up();
    assert.deepEqual(up.summary.resourceChanges, { same: 3 });
    assert.equal(up.outputs.imageUri.value, before);
  });

  it("a base image republished under its tag: production rebuilds, naming it and both digests; back, the registry has it", async () => {
    // The engine's builder uses its local image: a new one under the same tag is a new base.
    const tag = "multistage-local/php:8.2-fpm-slim";
    const kept = `multistage-local/php:kept-${Date.now().toString(36)}`;
    await engine.executor.tag(tag, kept);
    try {
      await engine.executor.run(["build", "--quiet", "--tag", tag, "-"], {
        stdin: `FROM ${kept}\nRUN echo patched > /etc/base-patch\n`,
        quiet: true,
      });
      const preview = await production.preview();
      assert.deepEqual(preview.changeSummary, { same: 2, update: 1 });
      const patched = await production.up();
      assert.match(
        patched.outputs.rebuildReason.value as string,
        /^stage "production": base image multistage-local\/php:8\.2-fpm-slim changed \(sha256:[0-9a-f]{12} → sha256:[0-9a-f]{12}\)$/,
      );
      assert.notEqual(patched.outputs.imageUri.value, first);
    } finally {
      await engine.executor.tag(kept, tag);
      await engine.executor.removeImages([kept]);
    }
    // The base as it was: the inputs of the first image again, which the registry holds.
    const back = await production.up();
    assert.match(back.outputs.rebuildReason.value as string, /^reused: the registry holds inputs-/);
    assert.equal(back.outputs.imageUri.value, first);
  });

  it("registry first: a fresh stack (empty state) over an image the registry holds builds nothing and pins the same digest", async () => {
    // Another stack (no state of its own) for the same environment, as a second pipeline would be.
    const fresh = await stack("production-fresh");
    await fresh.setConfig("multistage:environment", { value: "production" });
    await fresh.setConfig("appVersion", { value: "1.0.2" });
    const started = Date.now();
    const up = await fresh.up();
    const seconds = (Date.now() - started) / 1000;
    console.log(`      fresh stack: ${seconds.toFixed(1)}s, ${up.outputs.rebuildReason.value as string}`);
    assert.match(up.outputs.rebuildReason.value as string, /^reused: the registry holds inputs-[0-9a-f]{64}/);
    assert.equal(up.outputs.imageUri.value, first);
    const digest = digestOf(first);
    assert.equal(await findManifest(REPOSITORY_PATH, "production-feed00000000", engine.registry), digest);
  });

  it("promotion: production takes staging's tested image, the same digest, and builds nothing", async () => {
    const staging = await stack("staging");
    const built = await staging.up();
    const stagingUri = built.outputs.imageUri.value as string;
    const promoted = await stack("production-promoted");
    await promoted.setConfig("multistage:environment", { value: "production" });
    await promoted.setConfig("promoteFrom", { value: "staging" });
    const up = await promoted.up();
    console.log(`      ${up.outputs.rebuildReason.value as string}`);
    assert.match(
      up.outputs.rebuildReason.value as string,
      /^promoted from staging: .*@sha256:[0-9a-f]{64} \(inputs-[0-9a-f]{64}\); nothing built$/,
    );
    const digest = digestOf(stagingUri);
    assert.equal(up.outputs.imageUri.value, `${engine.registry.server}/${REPOSITORY_PATH}@${digest}`);
    assert.equal(await findManifest(REPOSITORY_PATH, "production-feed00000000", engine.registry), digest);
  });

  it("promotion from an environment that never pushed fails with the fix, and changes nothing", async () => {
    const orphan = await stack("production-orphan");
    await orphan.setConfig("multistage:environment", { value: "production" });
    await orphan.setConfig("promoteFrom", { value: "qa" });
    await orphan.setConfig("appVersion", { value: "9.9.9" });
    await assert.rejects(orphan.up(), (err: Error) => {
      assert.match(
        err.message,
        /environment "qa" has no image with its current inputs in .* \(inputs-[0-9a-f]{64}\): run pulumi up on "qa" first/,
      );
      return true;
    });
  });

  it("size: from the registry's manifest, with the largest layers; over its budget, production fails and keeps its tags", async () => {
    const before = await production.outputs();
    const size = before.size.value as { bytes: number; largestLayers: Array<{ bytes: number; createdBy: string }> };
    const digest = digestOf(before.imageUri.value as string) as string;
    const manifest = await getManifest(REPOSITORY_PATH, digest, engine.registry);
    const layers = manifest.body.layers ?? [];
    assert.equal(size.bytes, (manifest.body.config?.size ?? 0) + layers.reduce((n, l) => n + l.size, 0));
    assert.equal(size.largestLayers[0].bytes, Math.max(...layers.map((l) => l.size)));
    console.log(
      `      production: ${(size.bytes / 1e6).toFixed(1)} MB; largest: ${JSON.stringify(size.largestLayers[0])}`,
    );
    const tagged = await findManifest(REPOSITORY_PATH, "production-feed00000000", engine.registry);
    await production.setConfig("sizeBudget", { value: "1MB" });
    edit("routes/web.php", "\n// over budget\n");
    await assert.rejects(production.up(), (err: Error) => {
      assert.match(
        err.message,
        /environments\.production\.sizeBudget: the image is [\d.]+ MB, over its budget of 1\.0 MB; its largest layers: [\d.]+ MB ".+"/,
      );
      assert.match(err.message, /without this environment's tags/);
      return true;
    });
    assert.equal(await findManifest(REPOSITORY_PATH, "production-feed00000000", engine.registry), tagged);
    await production.setConfig("sizeBudget", { value: "500MB" });
    const within = await production.up();
    assert.notEqual(within.outputs.imageUri.value, before.imageUri.value);
  });
});
