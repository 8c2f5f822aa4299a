/**
 * The real engine: `pulumi preview/up/destroy` of examples/local-registry (a program in the
 * repo using the built package) on dev and production stacks, with the Pulumi CLI built by
 * scripts/pulumi-tools.sh, a file backend and the authenticated local registry.
 *
 * The program runs in this process through the Automation API (an inline program the CLI
 * connects to), which is also why no Node.js language host binary is needed.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { manifestDigest } from "../../src/registry";
import { REPO_ROOT, exampleSettings } from "../../scripts/lib/local";
import { type Engine, requireEngine } from "../integration/engine";
import { requireE2eWorkspace } from "./workspace";
import { digestOf, parseImageReference } from "../../src/plan";

const PROGRAM = path.join(REPO_ROOT, "examples", "local-registry", "index.ts");
// The registry outlives test runs: each run pushes to a repository of its own.
const REPOSITORY_PATH = `multistage-e2e/web-${Date.now().toString(36)}`;
const BUILD_TOKEN = "e2e-build-token-5c1d9a";

const seconds = (started: number): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;

describe("E2E: pulumi preview/up/destroy with the real engine and registry", function () {
  this.timeout(900_000);
  let engine: Engine;
  let stateDir: string;
  let app: string;
  const stacks: Record<string, Stack> = {};
  const registryDigest = (tag: string): Promise<string> => manifestDigest(REPOSITORY_PATH, tag, engine.registry);
  const tagOf = (reference: string): string => parseImageReference(reference).tag as string;

  before(async function () {
    engine = requireEngine(this);
    const workspace = requireE2eWorkspace(this, engine, "e2e", {
      MULTISTAGE_GIT_SHA: "e2e0000000000000000000000000000000000001",
    });
    await engine.executor.login(engine.registry);
    stateDir = workspace.root;
    const { workDir, env } = workspace;
    // A copy of the seed app, so the test can edit its sources.
    app = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-e2e-app-"));
    fs.cpSync(exampleSettings("node-nginx").args.context, app, { recursive: true });
    for (const stackName of ["dev", "production"]) {
      stacks[stackName] = await LocalWorkspace.createOrSelectStack(
        {
          stackName,
          projectName: "multistage-local-registry",
          program: async () => {
            delete require.cache[require.resolve(PROGRAM)];
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return require(PROGRAM);
          },
        },
        { workDir, envVars: env },
      );
      await stacks[stackName].setAllConfig({
        repository: { value: `${engine.registry.server}/${REPOSITORY_PATH}` },
        username: { value: engine.registry.username },
        password: { value: engine.registry.password, secret: true },
        buildToken: { value: BUILD_TOKEN, secret: true },
        context: { value: app },
      });
    }
  });

  after(async () => {
    for (const stack of Object.values(stacks))
      await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    if (app) fs.rmSync(app, { recursive: true, force: true });
  });

  it("preview on a fresh stack shows the image to create and pushes nothing", async () => {
    const started = Date.now();
    const preview = await stacks.dev.preview();
    console.log(`      preview: ${seconds(started)}, ${JSON.stringify(preview.changeSummary)}`);
    assert.deepEqual(preview.changeSummary, { create: 3 });
    assert.match(preview.stdout, /\+\s+pulumi-nodejs:dynamic\/multistage:DockerCliImage\s+web-image\s+create/);
    await assert.rejects(registryDigest("dev-e2e000000000"), /404/);
  });

  const published: Record<string, { imageUri: string; tags: string[]; target: string; size: number }> = {};
  /** Every digest-pinned URI an `up` reported, replaced ones too. */
  const everPublished: string[] = [];

  for (const [stackName, target] of [
    ["dev", "build"],
    ["production", "web"],
  ] as const) {
    it(`up on ${stackName} builds the ${target} stage; imageUri's digest is the registry's for every tag`, async () => {
      const started = Date.now();
      const up = await stacks[stackName].up();
      const outputs = up.outputs;
      const imageUri = outputs.imageUri.value as string;
      const tags = outputs.tags.value as string[];
      console.log(`      up ${stackName}: ${seconds(started)}, ${JSON.stringify(up.summary.resourceChanges)}`);
      assert.equal(outputs.target.value, target);
      assert.match(imageUri, new RegExp(`^${engine.registry.server}/${REPOSITORY_PATH}@sha256:[0-9a-f]{64}$`));
      for (const tag of tags) {
        const digest = await registryDigest(tagOf(tag));
        assert.equal(`${engine.registry.server}/${REPOSITORY_PATH}@${digest}`, imageUri, tag);
      }
      console.log(`      ${stackName}: ${digestOf(imageUri)} = registry digest of ${tags.map(tagOf).join(", ")}`);
      await engine.executor.pull(imageUri);
      const inspected = await engine.executor.inspect(imageUri);
      const size = inspected.Size;
      // The example's label and the default ones, in the image the registry holds at that digest.
      const labels = inspected.Config.Labels ?? {};
      assert.equal(labels["org.opencontainers.image.description"], "The node-nginx seed app");
      assert.equal(labels["org.opencontainers.image.revision"], "e2e0000000000000000000000000000000000001");
      assert.equal(labels["dev.multistage.target"], target);
      published[stackName] = { imageUri, tags, target, size };
      everPublished.push(imageUri);
    });
  }

  it("the dev image has the dev tooling and sources, production only the built site; sizes reported", async () => {
    const dev = new Set(await engine.executor.listFiles(published.dev.imageUri));
    const production = new Set(await engine.executor.listFiles(published.production.imageUri));
    for (const file of ["/usr/local/bin/node", "/app/src/app.js", "/app/package.json"])
      assert.ok(dev.has(file), `dev lacks ${file}`);
    for (const file of ["/usr/local/bin/node", "/app/src/app.js", "/app/package.json"])
      assert.ok(!production.has(file), `production holds ${file}`);
    assert.ok(production.has("/usr/share/nginx/html/index.html"));
    const ratio = published.dev.size / published.production.size;
    console.log(
      `      dev ${(published.dev.size / 1e6).toFixed(1)} MB, production ${(published.production.size / 1e6).toFixed(1)} MB → ${ratio.toFixed(1)}x smaller`,
    );
    assert.ok(ratio > 10, `production should be far smaller, got ${ratio}`);
  });

  it("a second up with nothing changed changes nothing, builds nothing and pushes nothing", async () => {
    const before = await Promise.all(published.dev.tags.map((t) => registryDigest(tagOf(t))));
    const started = Date.now();
    const up = await stacks.dev.up();
    console.log(`      second up: ${seconds(started)}, ${JSON.stringify(up.summary.resourceChanges)}`);
    assert.deepEqual(up.summary.resourceChanges, { same: 3 });
    assert.equal(up.outputs.imageUri.value, published.dev.imageUri);
    assert.deepEqual(await Promise.all(published.dev.tags.map((t) => registryDigest(tagOf(t)))), before);
  });

  it("an edit to a source the production target copies updates the image with a new digest", async () => {
    fs.appendFileSync(path.join(app, "src", "app.js"), `\n// edited by the e2e test ${Date.now()}\n`);
    const started = Date.now();
    const up = await stacks.production.up();
    console.log(`      up after edit: ${seconds(started)}, ${JSON.stringify(up.summary.resourceChanges)}`);
    assert.deepEqual(up.summary.resourceChanges, { same: 2, update: 1 });
    const imageUri = up.outputs.imageUri.value as string;
    assert.notEqual(imageUri, published.production.imageUri);
    assert.equal(
      `${engine.registry.server}/${REPOSITORY_PATH}@${await registryDigest(tagOf(published.production.tags[0]))}`,
      imageUri,
    );
    console.log(`      production digest ${digestOf(published.production.imageUri)} → ${digestOf(imageUri)}`);
    // The replaced digest is what running tasks and pods still pull: it stays in the registry.
    await engine.executor.removeImages([published.production.imageUri]);
    await engine.executor.pull(published.production.imageUri);
    everPublished.push(imageUri);
    published.production.imageUri = imageUri;
  });

  it("the consumer side: the digest-pinned imageUri from `pulumi stack output` runs and serves the page", async () => {
    const outputs = await stacks.production.outputs();
    const imageUri = outputs.imageUri.value as string;
    await engine.executor.removeImages([imageUri]);
    await engine.executor.pull(imageUri);
    // The engine picks a free host port: a random one can be taken by something else.
    const id = (
      await engine.executor.run(["run", "-d", "-p", "127.0.0.1::80", imageUri], {
        quiet: true,
        stdoutOnly: true,
      })
    ).trim();
    try {
      const mapped = (await engine.executor.run(["port", id, "80/tcp"], { quiet: true, stdoutOnly: true })).trim();
      const port = /:(\d+)\s*$/m.exec(mapped.split("\n")[0])?.[1];
      assert.ok(port, `docker port gave no host port: ${mapped}`);
      let page = "";
      let lastError = "";
      const deadline = Date.now() + 30_000;
      while (!page && Date.now() < deadline) {
        page = await fetch(`http://127.0.0.1:${port}/`).then(
          async (r) => (r.ok ? r.text() : ((lastError = `HTTP ${r.status}`), "")),
          (e: unknown) => ((lastError = String((e as Error).cause ?? e)), ""),
        );
        if (!page) await new Promise((r) => setTimeout(r, 250));
      }
      if (!page) {
        const logs = await engine.executor.run(["logs", id], { quiet: true, allowFailure: true });
        assert.fail(`no page from ${imageUri} on port ${port} in 30 s (${lastError}); container logs:\n${logs}`);
      }
      assert.match(page, /Hello from a multi-stage build/);
    } finally {
      await engine.executor.run(["rm", "-f", id], { quiet: true, allowFailure: true });
    }
  });

  it("the build secret passed to the build is in no layer, config or history of the pushed images", async () => {
    for (const { imageUri } of Object.values(published)) {
      const tar = path.join(stateDir, "image.tar");
      await engine.executor.pull(imageUri);
      await engine.executor.run(["save", "--output", tar, imageUri], { quiet: true });
      assert.equal(fs.readFileSync(tar).indexOf(Buffer.from(BUILD_TOKEN)), -1, `${imageUri} holds the secret`);
      const history = await engine.executor.run(["history", "--no-trunc", imageUri], { quiet: true });
      const inspect = await engine.executor.run(["image", "inspect", imageUri], { quiet: true });
      assert.ok(!history.includes(BUILD_TOKEN) && !inspect.includes(BUILD_TOKEN));
      fs.rmSync(tar);
    }
  });

  it("neither the state nor the outputs shown with secrets hold the registry password or the secret build value", async () => {
    const files = fs.readdirSync(stateDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".json"));
    assert.ok(
      files.some((f) => f.includes("stacks")),
      `no state files in ${stateDir}: ${files.join(", ")}`,
    );
    for (const file of files) {
      const text = fs.readFileSync(path.join(stateDir, file), "utf8");
      for (const secret of [engine.registry.password, BUILD_TOKEN])
        assert.ok(!text.includes(secret), `${file} holds a secret`);
    }
    for (const stack of Object.values(stacks)) {
      // `pulumi stack export` as a user runs it (the Automation API's exportStack adds --show-secrets).
      const state = execFileSync("pulumi", ["stack", "export", "--stack", stack.name], {
        cwd: stack.workspace.workDir,
        env: process.env,
        encoding: "utf8",
      });
      const shown = JSON.stringify(await stack.outputs());
      for (const secret of [engine.registry.password, BUILD_TOKEN]) {
        const at = state.indexOf(secret);
        assert.equal(
          at,
          -1,
          `${stack.name}: the state holds a secret in plain text: …${state.slice(at - 300, at + 40)}…`,
        );
        assert.ok(!shown.includes(secret), `${stack.name}: an output holds a secret`);
      }
      assert.match(state, /"ciphertext"/, "secrets are kept encrypted in the state");
    }
  });

  it("destroy leaves empty stacks, and every digest an up reported still pulls", async () => {
    for (const stack of Object.values(stacks)) {
      const started = Date.now();
      await stack.destroy();
      const resources = (await stack.exportStack()).deployment.resources ?? [];
      console.log(`      destroy ${stack.name}: ${seconds(started)}, ${resources.length} resources left`);
      assert.equal(resources.length, 0);
    }
    assert.equal(everPublished.length, 3, "dev, production, and production after the edit");
    await engine.executor.removeImages(everPublished);
    for (const imageUri of everPublished) await engine.executor.pull(imageUri);
  });
});
