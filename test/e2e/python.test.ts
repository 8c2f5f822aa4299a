/**
 * The component from a Python program, run for real: `test/e2e/python/program.py` (the
 * node-service app, as a Python user writes it) in a directory of its own with a virtualenv
 * holding `pulumi` from PyPI and the Python SDK the npm package ships (`pip install
 * ./node_modules/pulumi-multistage-image/sdk/python` from the packed tarball), the provider plugin
 * found on PATH in that package's `bin/`. It runs as an inline program
 * of Python's Automation API (`drive.py`), which serves the program's language itself, so no
 * Python language host is needed. Preview, up on dev and production, a no-op up, an edit that
 * rebuilds dev only, a failing test gate, typos answered with did-you-mean, the password only a
 * secret in the state, the consumer function, destroy keeping the digests; then the TypeScript
 * program with the same args finds the same images by their inputs. Timings beside TypeScript's.
 */
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { manifestDigest } from "../../src/executor";
import { consumerOn, newestSdk } from "../consumer";
import { REPO_ROOT } from "../helpers";
import { type Engine, requireEngine } from "../integration/engine";
import { type E2eWorkspace, localRegistryStack, requireE2eWorkspace } from "./workspace";

const ENVIRONMENTS = ["dev", "production"] as const;
type Env = (typeof ENVIRONMENTS)[number];
const GIT_SHA = "9e0b000000000000000000000000000000000001";

interface DriverResult {
  error?: string;
  changeSummary?: Record<string, number>;
  changes?: Record<string, number>;
  outputs?: Record<string, unknown>;
  stdout?: string;
}

/** Why Python programs cannot run here (no python3 with venv), or undefined. */
function pythonMissing(): string | undefined {
  const probe = spawnSync("python3", ["-c", "import venv, ensurepip"], { encoding: "utf8" });
  return probe.status === 0 ? undefined : `python3 with venv and ensurepip is needed: ${probe.stderr || probe.error}`;
}

describe("E2E: the component from a Python program (inline Automation API, the generated SDK)", function () {
  this.timeout(1_800_000);
  const REPOSITORY_PATH = `multistage-python/app-${Date.now().toString(36)}`;
  let engine: Engine;
  let workspace: E2eWorkspace;
  let program: string;
  let context: string;
  let env: NodeJS.ProcessEnv;
  const digests = {} as Record<Env, string>;
  const timings: Record<string, { python?: number; typescript?: number }> = {};

  /** Run drive.py: `command` on `stack` with the stack's config and `overrides`. */
  function py(command: string, stack: Env, overrides: Record<string, string> = {}, step?: string): DriverResult {
    const config = {
      repository: { value: `${engine.registry.server}/${REPOSITORY_PATH}` },
      username: { value: engine.registry.username },
      password: { value: engine.registry.password, secret: true },
      context: { value: context },
      gitSha: { value: GIT_SHA },
      nodeImage: { value: "multistage-local/node:20" },
      nodeRuntimeImage: { value: "multistage-local/node:20-slim" },
      ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, { value: v }])),
    };
    const file = path.join(workspace.root, `config-${stack}.json`);
    fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
    const started = Date.now();
    const run = spawnSync(path.join(program, "venv", "bin", "python"), ["drive.py", command, stack, program, file], {
      cwd: program,
      env,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    assert.ok(
      line,
      `drive.py ${command} ${stack} printed no result (exit ${run.status}):\n${run.stdout}\n${run.stderr}`,
    );
    const result = JSON.parse(line.slice("RESULT ".length)) as DriverResult;
    const label = step ?? `${command} (${stack})${Object.keys(overrides).length ? " edited" : ""}`;
    if (!result.error) timings[label] = { ...timings[label], python: (Date.now() - started) / 1000 };
    return result;
  }

  before(async function () {
    engine = requireEngine(this);
    const missing = pythonMissing();
    if (missing) {
      console.log(`    SKIPPED (e2e): ${missing}`);
      this.skip();
    }
    workspace = requireE2eWorkspace(this, engine, "python");
    // The user's project: program.py and its driver, a virtualenv, the SDK generated from the schema.
    program = path.join(workspace.root, "python-service");
    fs.mkdirSync(program);
    for (const file of ["program.py", "drive.py"])
      fs.copyFileSync(path.join(REPO_ROOT, "test", "e2e", "python", file), path.join(program, file));
    context = path.join(workspace.root, "app");
    fs.cpSync(path.join(REPO_ROOT, "examples", "node-service", "app"), context, { recursive: true });
    // As a Python user installs it: the packed tarball from npm, its Python SDK with pip, its plugin on PATH.
    const consumer = consumerOn(newestSdk());
    const installed = path.join(consumer.dir, "node_modules", "pulumi-multistage-image");
    execFileSync("python3", ["-m", "venv", "venv"], { cwd: program });
    const pip = path.join(program, "venv", "bin", "pip");
    execFileSync(pip, ["install", "-q", "-r", path.join(REPO_ROOT, "tools", "sdk-python", "requirements.txt")], {
      cwd: program,
      stdio: "ignore",
    });
    execFileSync(pip, ["install", "-q", path.join(installed, "sdk", "python")], { cwd: program, stdio: "ignore" });
    const plugin = path.join(installed, "bin");
    assert.ok(fs.statSync(path.join(plugin, "pulumi-resource-multistage")).mode & 0o111);
    env = { ...process.env, ...workspace.env, PATH: `${plugin}${path.delimiter}${workspace.env.PATH}` };
  });

  after(function () {
    if (Object.keys(timings).length) {
      const cell = (s?: number): string => (s === undefined ? "-" : `${s.toFixed(1)} s`);
      console.log("      step                    Python    TypeScript");
      for (const [step, t] of Object.entries(timings))
        console.log(`      ${step.padEnd(22)}  ${cell(t.python).padEnd(8)}  ${cell(t.typescript)}`);
    }
    if (workspace) fs.rmSync(workspace.root, { recursive: true, force: true });
  });

  it("preview shows the component and its image to create; nothing is pushed", async () => {
    const preview = py("preview", "dev");
    assert.equal(preview.error, undefined, preview.error);
    assert.deepEqual(preview.changeSummary, { create: 3 });
    assert.match(preview.stdout ?? "", /multistage:index:MultiStageImage\s+app\s+create/);
    await assert.rejects(manifestDigest(REPOSITORY_PATH, "dev-9e0b00000000", engine.registry), /404/);
  });

  for (const stack of ENVIRONMENTS)
    it(`up on ${stack}: built, pushed, pinned to the registry's digest; the list tag_strategy and the consumer function work`, async () => {
      const up = py("up", stack);
      assert.equal(up.error, undefined, up.error);
      assert.deepEqual(up.changes, { create: 3 });
      const outputs = up.outputs as {
        imageUri: string;
        digest: string;
        target: string;
        tags: string[];
        container: Record<string, unknown>;
      };
      assert.equal(outputs.target, stack === "dev" ? "builder" : "production");
      const digest = await manifestDigest(REPOSITORY_PATH, `${stack}-9e0b00000000`, engine.registry);
      assert.equal(outputs.digest, digest);
      assert.equal(outputs.imageUri, `${engine.registry.server}/${REPOSITORY_PATH}@${digest}`);
      assert.equal(outputs.tags.length, 2, "both templates of the list");
      assert.match(outputs.tags[1], new RegExp(`:${stack}-[0-9a-f]{12}$`));
      assert.deepEqual(outputs.container, {
        name: "web",
        image: outputs.imageUri,
        imagePullPolicy: "IfNotPresent",
        ports: [{ containerPort: 3000, protocol: "TCP" }],
      });
      digests[stack] = digest;
    });

  it("a second up on each changes nothing; the password is in the state only as a secret", () => {
    for (const stack of ENVIRONMENTS) {
      const up = py("up", stack, {}, `no-op up (${stack})`);
      assert.deepEqual(up.changes, { same: 3 }, up.error);
      assert.equal((up.outputs as { digest: string }).digest, digests[stack]);
    }
    const state = execFileSync("pulumi", ["stack", "export", "--stack", "dev", "--cwd", program], {
      env,
      encoding: "utf8",
    });
    assert.ok(state.includes('"digest"'), "the export holds the stack");
    assert.ok(
      !state.includes(engine.registry.password as string),
      "the state holds the registry password in plain text",
    );
  });

  it("an edit to dev's settings rebuilds dev only, saying why", () => {
    const up = py("up", "dev", { devNodeEnv: "test" });
    assert.equal(up.error, undefined, up.error);
    assert.equal(up.changes?.update, 1, JSON.stringify(up.changes));
    assert.match(String(up.outputs?.rebuildReason), /NODE_ENV/);
    assert.notEqual(up.outputs?.digest, digests.dev);
    assert.deepEqual(py("up", "production").changes, { same: 3 });
    // Back as it was: the registry has the first image by its inputs.
    assert.equal(py("up", "dev").outputs?.digest, digests.dev);
  });

  it("a typo in a stage name and in a nested arg: refused by name with did-you-mean, nothing created", () => {
    const stage = py("up", "dev", { devTarget: "buidler" });
    assert.ok(stage.error, "a stage that does not exist");
    assert.match(stage.error ?? "", /environments\.dev\.target/);
    assert.match(stage.error ?? "", /Did you mean "?builder"?/i);
    const nested = py("up", "dev", { devTypo: "true" });
    assert.ok(nested.error, "an unknown field");
    assert.match(nested.error ?? "", /environments\.dev\.targt/);
    assert.match(nested.error ?? "", /environments\.dev\.targt: is not a setting\. Did you mean "target"/);
    console.log(`      what a Python user sees (stage): ${/error: [^\n]*buidler[^\n]*/.exec(stage.error ?? "")?.[0]}`);
    console.log(`      what a Python user sees (nested): ${/error: [^\n]*targt[^\n]*/.exec(nested.error ?? "")?.[0]}`);
  });

  it("a failing test gate fails production's up with the stage, the line and the failing test; nothing pushed", async () => {
    const test = path.join(context, "test", "server.test.js");
    const original = fs.readFileSync(test, "utf8");
    fs.writeFileSync(test, original.replace('version: "1.2.3"', 'version: "9.9.9"'));
    try {
      const up = py("up", "production");
      assert.ok(up.error, "the gate refuses");
      assert.match(
        up.error ?? "",
        /test gate of environment "production" failed in stage "tester" at [^\n]*Dockerfile:30: RUN npm test/,
      );
      assert.match(up.error ?? "", /answers with a greeting and the version/);
      console.log(
        `      what a Python user sees (gate): ${/test gate of environment[^\n]*/.exec(up.error ?? "")?.[0]}`,
      );
      const held = await manifestDigest(REPOSITORY_PATH, "production-9e0b00000000", engine.registry);
      assert.equal(held, digests.production, "production's tag still names the image that passed");
    } finally {
      fs.writeFileSync(test, original);
    }
  });

  it("the TypeScript program with the same args finds the same images by their inputs (same digests)", async () => {
    for (const stack of ENVIRONMENTS) {
      const ts = await localRegistryStack(
        workspace,
        engine,
        { stackName: `${stack}-ts`, projectName: "python-service-ts", repositoryPath: REPOSITORY_PATH },
        {
          context,
          gitSha: GIT_SHA,
          environment: stack,
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
        },
      );
      const started = Date.now();
      const up = await ts.up();
      timings[`up (${stack})`] = { ...timings[`up (${stack})`], typescript: (Date.now() - started) / 1000 };
      assert.equal(up.outputs.digest.value, digests[stack], `${stack}: the same digest as Python's`);
      assert.match(String(up.outputs.rebuildReason.value), /reused/);
      const again = Date.now();
      await ts.up();
      timings[`no-op up (${stack})`] = { ...timings[`no-op up (${stack})`], typescript: (Date.now() - again) / 1000 };
      await ts.destroy();
      await ts.workspace.removeStack(ts.name);
    }
  });

  it("the README's Python example, as written, previews (its ./app the node-service app)", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const example = /```python\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, "the README has a Python example");
    const dir = path.join(workspace.root, "readme");
    fs.mkdirSync(dir, { recursive: true });
    fs.cpSync(context, path.join(dir, "app"), { recursive: true });
    // A user's project is a git checkout: {gitShortSha} comes from its commit.
    const git = (...args: string[]): void =>
      void execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", ...args], { stdio: "ignore" });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "app");
    const body = example
      .trimEnd()
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n");
    fs.writeFileSync(path.join(program, "readme_program.py"), `def program() -> None:\n${body}\n`);
    const file = path.join(workspace.root, "config-readme.json");
    fs.writeFileSync(file, "{}");
    const run = spawnSync(
      path.join(program, "venv", "bin", "python"),
      [path.join(program, "drive.py"), "preview", "dev", dir, file],
      {
        cwd: dir,
        env: { ...env, MULTISTAGE_PY_PROGRAM: "readme_program", PYTHONPATH: program },
        encoding: "utf8",
      },
    );
    const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    assert.ok(line, `${run.stdout}\n${run.stderr}`);
    const result = JSON.parse(line.slice("RESULT ".length)) as DriverResult;
    assert.equal(result.error, undefined, result.error);
    assert.deepEqual(result.changeSummary, { create: 3 });
  });

  it("destroy removes the stacks' resources and keeps the pushed digests", async () => {
    for (const stack of ENVIRONMENTS) {
      const destroyed = py("destroy", stack);
      assert.equal(destroyed.error, undefined, destroyed.error);
      assert.equal(destroyed.changes?.delete, 3);
      assert.equal(await manifestDigest(REPOSITORY_PATH, digests[stack], engine.registry), digests[stack]);
    }
  });
});
