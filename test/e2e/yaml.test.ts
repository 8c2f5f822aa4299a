/**
 * The component package from YAML, as a YAML user has it: `examples/yaml-service` in a
 * directory of its own beside the packed tarball installed with npm, its `packages:` entry
 * naming the tarball's provider plugin (`pulumi-resource-multistage`), run by the Pulumi CLI and
 * the YAML language host built here (scripts/pulumi-tools.sh): preview, up on dev and on
 * production, a no-op up, an edit that rebuilds only the environment it touches, and destroy.
 * Then the TypeScript program with the same app and args (in this process, from lib/) runs the
 * same steps against the same repository: the registry lookup by inputs hash finds the YAML
 * program's images, so the same hash gives the same digest. Each step's time is printed beside
 * the TypeScript one.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { manifestDigest } from "../../src/registry";
import { consumerOn, newestSdk } from "../consumer";
import { REPO_ROOT } from "../helpers";
import { type Engine, requireEngine } from "../integration/engine";
import { type E2eWorkspace, localRegistryStack, requireE2eWorkspace } from "./workspace";
import type { MultiStageImageArgs } from "../../src";

const ENVIRONMENTS = ["dev", "production"] as const;
type Env = (typeof ENVIRONMENTS)[number];

interface StackResource {
  type: string;
  urn: string;
  provider?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

async function resources(stack: Stack): Promise<StackResource[]> {
  const state = await stack.exportStack();
  return (state.deployment as { resources: StackResource[] }).resources;
}

/** The image resource's recorded inputs hash (what the registry lookup uses). */
async function inputsHash(stack: Stack): Promise<string> {
  const image = (await resources(stack)).find((r) => r.urn.endsWith("::app-image"));
  const hash = (image?.outputs?.inputs as { hash?: string } | undefined)?.hash;
  assert.ok(hash, `no inputs hash recorded in ${stack.name}`);
  return hash;
}

describe("E2E: the component package from a YAML program (examples/yaml-service)", function () {
  this.timeout(1_800_000);
  // The registry outlives test runs: each run pushes to a repository of its own.
  const REPOSITORY_PATH = `multistage-yaml/app-${Date.now().toString(36)}`;
  const APP = path.join(REPO_ROOT, "examples", "node-service", "app");
  const GIT_SHA = "c0f5e0000000000000000000000000000000beef";
  let engine: Engine;
  let workspace: E2eWorkspace;
  let program: string;
  const yamlStacks = {} as Record<Env, Stack>;
  const tsStacks = {} as Record<Env, Stack>;
  const digests = {} as Record<Env, string>;
  let editedDevDigest = "";
  const timings: Record<string, { yaml?: number; typescript?: number }> = {};
  const time = async <T>(step: string, language: "yaml" | "typescript", run: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await run();
    timings[step] = { ...timings[step], [language]: (Date.now() - started) / 1000 };
    return result;
  };

  before(async function () {
    engine = requireEngine(this);
    workspace = requireE2eWorkspace(this, engine, "yaml");
    // The user's project: the example's Pulumi.yaml beside the packed tarball, installed.
    const consumer = consumerOn(newestSdk());
    program = path.join(workspace.root, "yaml-service");
    fs.mkdirSync(program);
    const example = fs.readFileSync(path.join(REPO_ROOT, "examples", "yaml-service", "Pulumi.yaml"), "utf8");
    assert.match(example, /multistage: \.\/node_modules\/pulumi-multistage-image\/bin/);
    fs.writeFileSync(path.join(program, "Pulumi.yaml"), example);
    fs.symlinkSync(path.join(consumer.dir, "node_modules"), path.join(program, "node_modules"));
    assert.ok(
      fs.statSync(path.join(program, "node_modules", "pulumi-multistage-image", "bin", "pulumi-resource-multistage"))
        .mode & 0o111,
      "the tarball's provider plugin is not executable",
    );
    for (const env of ENVIRONMENTS) {
      yamlStacks[env] = await LocalWorkspace.createOrSelectStack(
        { stackName: env, workDir: program },
        { envVars: workspace.env },
      );
      await yamlStacks[env].setAllConfig({
        repository: { value: `${engine.registry.server}/${REPOSITORY_PATH}` },
        username: { value: engine.registry.username },
        password: { value: engine.registry.password, secret: true },
        context: { value: APP },
        nodeImage: { value: "multistage-local/node:20" },
        nodeRuntimeImage: { value: "multistage-local/node:20-slim" },
      });
    }
  });

  after(async function () {
    for (const stack of [...Object.values(yamlStacks), ...Object.values(tsStacks)]) {
      await stack.destroy().catch(() => undefined);
      await stack.workspace.removeStack(stack.name).catch(() => undefined);
    }
    if (Object.keys(timings).length) {
      const cell = (s?: number): string => (s === undefined ? "-" : `${s.toFixed(1)} s`);
      console.log("      step                    YAML      TypeScript");
      for (const [step, t] of Object.entries(timings))
        console.log(`      ${step.padEnd(22)}  ${cell(t.yaml).padEnd(8)}  ${cell(t.typescript)}`);
    }
    if (workspace) fs.rmSync(workspace.root, { recursive: true, force: true });
  });

  it("the Pulumi CLI starts the tarball's plugin and gets the schema it ships", () => {
    // An executable path, as `pulumi package add` takes it (a directory needs a PulumiPlugin.yaml there).
    const plugin = path.join(program, "node_modules", "pulumi-multistage-image", "bin", "pulumi-resource-multistage");
    const served = execFileSync("pulumi", ["package", "get-schema", plugin], {
      cwd: program,
      env: { ...process.env, ...workspace.env },
      encoding: "utf8",
    });
    const shipped = JSON.parse(
      fs.readFileSync(path.join(program, "node_modules", "pulumi-multistage-image", "schema.json"), "utf8"),
    ) as Record<string, unknown>;
    const schema = JSON.parse(served) as Record<string, unknown>;
    assert.deepEqual(schema.resources, shipped.resources);
    assert.equal(schema.version, JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version);
  });

  it("preview shows the component and its image to create (the package's own types) and pushes nothing", async () => {
    const preview = await time("preview (dev)", "yaml", () => yamlStacks.dev.preview());
    assert.deepEqual(preview.changeSummary, { create: 3 });
    assert.match(preview.stdout, /multistage:index:MultiStageImage\s+app\s+create/);
    assert.match(preview.stdout, /multistage:index:DockerCliImage\s+app-image\s+create/);
    await assert.rejects(manifestDigest(REPOSITORY_PATH, "dev-c0f5e0000000", engine.registry), /404/);
  });

  for (const env of ENVIRONMENTS)
    it(`up on ${env} builds its target and pushes it, pinned to the registry's digest`, async () => {
      const up = await time(`up (${env})`, "yaml", () => yamlStacks[env].up());
      assert.deepEqual(up.summary.resourceChanges, { create: 3 });
      const outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])) as {
        imageUri: string;
        digest: string;
        target: string;
        tags: string[];
        rebuildReason: string;
      };
      assert.equal(outputs.target, env === "dev" ? "builder" : "production");
      const digest = await manifestDigest(REPOSITORY_PATH, `${env}-c0f5e0000000`, engine.registry);
      assert.equal(outputs.digest, digest);
      assert.equal(outputs.imageUri, `${engine.registry.server}/${REPOSITORY_PATH}@${digest}`);
      // The consumer helper, called as the package's function from YAML: the container runs the digest.
      assert.deepEqual(up.outputs.container.value, {
        name: "web",
        image: outputs.imageUri,
        imagePullPolicy: "IfNotPresent",
        ports: [{ containerPort: 3000, protocol: "TCP" }],
      });
      // Both templates of the list tagStrategy, the second with the inputs hash filled in.
      assert.equal(outputs.tags.length, 2);
      assert.match(outputs.tags[1], new RegExp(`:${env}-[0-9a-f]{12}$`));
      digests[env] = digest;
    });

  it("the image resource is the package's own (multistage:index:DockerCliImage, its provider), not a dynamic one", async () => {
    const all = await resources(yamlStacks.dev);
    const image = all.find((r) => r.urn.endsWith("::app-image"));
    assert.ok(image, "no image resource in the state");
    assert.equal(image.type, "multistage:index:DockerCliImage");
    assert.match(image.provider ?? "", /::pulumi:providers:multistage::default/);
    assert.equal(image.inputs?.__provider, undefined, "a dynamic provider's serialised source is in the inputs");
    assert.deepEqual(
      all.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic") || r.type === "pulumi:providers:pulumi-nodejs"),
      [],
    );
    // The registry password reaches the state only as a secret (the Automation API's export shows secrets).
    const state = execFileSync("pulumi", ["stack", "export", "--stack", "dev"], {
      cwd: program,
      env: { ...process.env, ...workspace.env },
      encoding: "utf8",
    });
    assert.ok(!state.includes(engine.registry.password), "the state holds the registry password in plain text");
  });

  it("a second up on each environment changes nothing: no build, no push", async () => {
    for (const env of ENVIRONMENTS) {
      const up = await time(`no-op up (${env})`, "yaml", () => yamlStacks[env].up());
      assert.deepEqual(up.summary.resourceChanges, { same: 3 });
      assert.equal(up.outputs.digest.value, digests[env]);
    }
  });

  it("an edit to dev's settings rebuilds dev only, saying why", async () => {
    const file = path.join(program, "Pulumi.yaml");
    const original = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, original.replace("NODE_ENV: development", "NODE_ENV: test"));
    try {
      const up = await time("edit: up (dev)", "yaml", () => yamlStacks.dev.up());
      assert.deepEqual(up.summary.resourceChanges, { same: 2, update: 1 });
      assert.match(up.outputs.rebuildReason.value as string, /NODE_ENV/);
      assert.notEqual(up.outputs.digest.value, digests.dev);
      editedDevDigest = up.outputs.digest.value as string;
      const production = await time("edit: preview (prod)", "yaml", () => yamlStacks.production.preview());
      assert.deepEqual(production.changeSummary, { same: 3 });
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it("a bad input from YAML fails the preview, naming its property path and the fix", async () => {
    const file = path.join(program, "Pulumi.yaml");
    const original = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, original.replace("target: builder", "target: buildr"));
    try {
      await assert.rejects(yamlStacks.dev.preview(), (err: Error) => {
        assert.match(err.message, /property environments\.dev\.target with value "buildr"/);
        assert.match(err.message, /Did you mean "builder"\?/);
        return true;
      });
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it("the TypeScript program with the same app and args gets the same inputs hash and the same digest", async () => {
    const args: Omit<MultiStageImageArgs, "registry"> = {
      context: APP,
      gitSha: GIT_SHA,
      environments: {
        dev: { target: "builder", buildArgs: { NODE_ENV: "development" } },
        production: { buildArgs: { NODE_ENV: "production" } },
      },
      buildArgs: {
        APP_VERSION: "1.0.0",
        NODE_IMAGE: "multistage-local/node:20",
        NODE_RUNTIME_IMAGE: "multistage-local/node:20-slim",
      },
      tagStrategy: ["{env}-{gitShortSha}", "{env}-{inputsHash}"],
    };
    // The YAML dev stack is on its edited build: put it back first (the registry holds both).
    await yamlStacks.dev.up();
    for (const env of ENVIRONMENTS) {
      tsStacks[env] = await localRegistryStack(
        workspace,
        engine,
        { stackName: env, projectName: "ts-service", repositoryPath: REPOSITORY_PATH },
        args,
      );
      await time(`preview (${env})`, "typescript", () => tsStacks[env].preview());
      const up = await time(`up (${env})`, "typescript", () => tsStacks[env].up());
      assert.deepEqual(up.summary.resourceChanges, { create: 3 });
      assert.equal(up.outputs.digest.value, digests[env], `${env}: the TypeScript program's digest differs`);
      assert.match(up.outputs.rebuildReason.value as string, /^reused/);
      assert.equal(await inputsHash(tsStacks[env]), await inputsHash(yamlStacks[env]));
      const again = await time(`no-op up (${env})`, "typescript", () => tsStacks[env].up());
      assert.deepEqual(again.summary.resourceChanges, { same: 3 });
    }
    delete timings["preview (production)"];
    // The same edit: the registry holds the YAML program's build of it, so the digest is the same.
    const edited = {
      ...args,
      environments: { ...args.environments, dev: { target: "builder", buildArgs: { NODE_ENV: "test" } } },
    };
    const dev = await localRegistryStack(
      workspace,
      engine,
      { stackName: "dev", projectName: "ts-service", repositoryPath: REPOSITORY_PATH },
      edited,
    );
    const up = await time("edit: up (dev)", "typescript", () => dev.up());
    assert.deepEqual(up.summary.resourceChanges, { same: 2, update: 1 });
    assert.equal(up.outputs.digest.value, editedDevDigest);
  });

  it("destroy removes each stack's resources and leaves the pushed images in the registry", async () => {
    for (const env of ENVIRONMENTS) {
      const destroyed = await time(`destroy (${env})`, "yaml", () => yamlStacks[env].destroy());
      assert.deepEqual(destroyed.summary.resourceChanges, { delete: 3 });
      if (tsStacks[env]) {
        const ts = await time(`destroy (${env})`, "typescript", () => tsStacks[env].destroy());
        assert.deepEqual(ts.summary.resourceChanges, { delete: 3 });
      }
      // The release tag is on the last build pushed for it: dev's is the edited one.
      const last = env === "dev" ? editedDevDigest : digests[env];
      assert.equal(await manifestDigest(REPOSITORY_PATH, `${env}-c0f5e0000000`, engine.registry), last);
    }
  });
});
