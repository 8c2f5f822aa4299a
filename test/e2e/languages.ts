/**
 * The e2e suite a program in another language passes (test/e2e/python.test.ts, go.test.ts): the
 * node-service app as that language's user writes it (test/e2e/<language>/), in a directory of
 * its own with the SDK the npm package ships (from the packed tarball) and the provider plugin
 * found on PATH in that package's `bin/`, run as an inline program of the language's Automation
 * API, which serves the program's language itself: no language host is needed. Preview, up on
 * dev and production, no-op ups, an edit that rebuilds dev only, did-you-mean for a stage and a
 * nested arg, a failing test gate, the password only a secret, the consumer function, destroy
 * keeping the digests; then the TypeScript program with the same args finds the same images by
 * their inputs. Timings beside TypeScript's.
 */
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { manifestDigest } from "../../src/registry";
import { consumerOn, newestSdk } from "../consumer";
import { REPO_ROOT } from "../helpers";
import { type Engine, requireEngine } from "../integration/engine";
import { type E2eWorkspace, localRegistryStack, requireE2eWorkspace } from "./workspace";

const ENVIRONMENTS = ["dev", "production"] as const;
type Env = (typeof ENVIRONMENTS)[number];
const GIT_SHA = "9e0b000000000000000000000000000000000001";

export interface DriverResult {
  error?: string;
  changeSummary?: Record<string, number>;
  changes?: Record<string, number>;
  outputs?: Record<string, unknown>;
  stdout?: string;
}

/** A language's program, made ready in `dir` as its user would (its SDK from the npm package `installed`). */
export interface LanguageProgram {
  /** The language's name, as the suite's title and timings say it. */
  readonly name: string;
  /** Why its toolchain cannot run here, or undefined. */
  missing(): string | undefined;
  /** Set up the program in `dir` with the package at `installed`; the command that runs it (args appended). */
  prepare(dir: string, installed: string): { command: string; args: string[] };
  /** Whether a nested arg can be misspelt in it at all (Go's types make that a compile error). */
  readonly nestedTypo: boolean;
  /** More tests of the language's own, given the suite's context. */
  extra?(suite: LanguageSuite): void;
}

/** What the shared suite gives a language's own tests. */
export interface LanguageSuite {
  readonly workspace: () => E2eWorkspace;
  readonly program: () => string;
  readonly context: () => string;
  readonly env: () => NodeJS.ProcessEnv;
  readonly driver: () => { command: string; args: string[] };
}

/**
 * The e2e suite every language's program passes: preview, up on dev and production, no-op ups,
 * an edit that rebuilds dev only, typos with did-you-mean, a failing test gate, the password
 * only a secret, the consumer function, the same digests as TypeScript, destroy keeping them.
 */
export function languageSuite(language: LanguageProgram): void {
  describe(`E2E: the component from a ${language.name} program (inline Automation API, the SDK the npm package ships)`, function () {
    this.timeout(1_800_000);
    const REPOSITORY_PATH = `multistage-${language.name.toLowerCase()}/app-${Date.now().toString(36)}`;
    let engine: Engine;
    let workspace: E2eWorkspace;
    let program: string;
    let context: string;
    let env: NodeJS.ProcessEnv;
    let driver: { command: string; args: string[] };
    const digests = {} as Record<Env, string>;
    const timings: Record<string, { program?: number; typescript?: number }> = {};

    /** Run the program's driver: `command` on `stack` with the stack's config and `overrides`. */
    function drive(command: string, stack: Env, overrides: Record<string, string> = {}, step?: string): DriverResult {
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
      const result = runDriver(driver, [command, stack, program, file], program, env);
      const label = step ?? `${command} (${stack})${Object.keys(overrides).length ? " edited" : ""}`;
      if (!result.error) timings[label] = { ...timings[label], program: (Date.now() - started) / 1000 };
      return result;
    }

    before(async function () {
      engine = requireEngine(this);
      const missing = language.missing();
      if (missing) {
        console.log(`    SKIPPED (e2e): ${missing}`);
        this.skip();
      }
      workspace = requireE2eWorkspace(this, engine, language.name.toLowerCase());
      program = path.join(workspace.root, `${language.name.toLowerCase()}-service`);
      fs.mkdirSync(program);
      context = path.join(workspace.root, "app");
      fs.cpSync(path.join(REPO_ROOT, "examples", "node-service", "app"), context, { recursive: true });
      // As its user installs it: the packed tarball from npm, the SDK it ships, its plugin on PATH.
      const consumer = consumerOn(newestSdk());
      const installed = path.join(consumer.dir, "node_modules", "pulumi-multistage-image");
      driver = language.prepare(program, installed);
      const plugin = path.join(installed, "bin");
      assert.ok(fs.statSync(path.join(plugin, "pulumi-resource-multistage")).mode & 0o111);
      env = { ...process.env, ...workspace.env, PATH: `${plugin}${path.delimiter}${workspace.env.PATH}` };
    });

    after(function () {
      if (Object.keys(timings).length) {
        const cell = (s?: number): string => (s === undefined ? "-" : `${s.toFixed(1)} s`);
        console.log(`      step                    ${language.name.padEnd(10)}TypeScript`);
        for (const [step, t] of Object.entries(timings))
          console.log(`      ${step.padEnd(22)}  ${cell(t.program).padEnd(8)}  ${cell(t.typescript)}`);
      }
      if (workspace) fs.rmSync(workspace.root, { recursive: true, force: true });
    });

    it("preview shows the component and its image to create; nothing is pushed", async () => {
      const preview = drive("preview", "dev");
      assert.equal(preview.error, undefined, preview.error);
      assert.deepEqual(preview.changeSummary, { create: 3 });
      assert.match(preview.stdout ?? "", /multistage:index:MultiStageImage\s+app\s+create/);
      await assert.rejects(manifestDigest(REPOSITORY_PATH, "dev-9e0b00000000", engine.registry), /404/);
    });

    for (const stack of ENVIRONMENTS)
      it(`up on ${stack}: built, pushed, pinned to the registry's digest; the list tag_strategy and the consumer functions work`, async () => {
        const up = drive("up", stack);
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
        // And the ECS one: the task definition's container runs the digest too.
        const ecs = (
          up.outputs as {
            ecs: { name: string; image: string; essential: boolean; portMappings: Array<{ containerPort: number }> };
          }
        ).ecs;
        assert.equal(ecs.image, outputs.imageUri);
        assert.equal(ecs.name, "web");
        assert.equal(ecs.essential, true);
        assert.equal(ecs.portMappings[0].containerPort, 3000);
        digests[stack] = digest;
      });

    it("a second up on each changes nothing; the password is in the state only as a secret", () => {
      for (const stack of ENVIRONMENTS) {
        const up = drive("up", stack, {}, `no-op up (${stack})`);
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
      const up = drive("up", "dev", { devNodeEnv: "test" });
      assert.equal(up.error, undefined, up.error);
      assert.equal(up.changes?.update, 1, JSON.stringify(up.changes));
      assert.match(String(up.outputs?.rebuildReason), /NODE_ENV/);
      assert.notEqual(up.outputs?.digest, digests.dev);
      assert.deepEqual(drive("up", "production").changes, { same: 3 });
      // Back as it was: the registry has the first image by its inputs.
      assert.equal(drive("up", "dev").outputs?.digest, digests.dev);
    });

    it("a typo in a stage name and in a nested arg: refused by name with did-you-mean, nothing created", () => {
      const stage = drive("up", "dev", { devTarget: "buidler" });
      assert.ok(stage.error, "a stage that does not exist");
      assert.match(stage.error ?? "", /environments\.dev\.target/);
      assert.match(stage.error ?? "", /Did you mean "?builder"?/i);
      console.log(
        `      what a ${language.name} user sees (stage): ${/error: [^\n]*buidler[^\n]*/.exec(stage.error ?? "")?.[0]}`,
      );
      if (!language.nestedTypo) return;
      const nested = drive("up", "dev", { devTypo: "true" });
      assert.ok(nested.error, "an unknown field");
      assert.match(nested.error ?? "", /environments\.dev\.targt/);
      assert.match(nested.error ?? "", /environments\.dev\.targt: is not a setting\. Did you mean "target"/);
      console.log(
        `      what a ${language.name} user sees (nested): ${/error: [^\n]*targt[^\n]*/.exec(nested.error ?? "")?.[0]}`,
      );
    });

    it("a failing test gate fails production's up with the stage, the line and the failing test; nothing pushed", async () => {
      const test = path.join(context, "test", "server.test.js");
      const original = fs.readFileSync(test, "utf8");
      fs.writeFileSync(test, original.replace('version: "1.2.3"', 'version: "9.9.9"'));
      try {
        const up = drive("up", "production");
        assert.ok(up.error, "the gate refuses");
        assert.match(
          up.error ?? "",
          /test gate of environment "production" failed in stage "tester" at [^\n]*Dockerfile:30: RUN npm test/,
        );
        assert.match(up.error ?? "", /answers with a greeting and the version/);
        console.log(
          `      what a ${language.name} user sees (gate): ${/test gate of environment[^\n]*/.exec(up.error ?? "")?.[0]}`,
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

    it("destroy removes the stacks' resources and keeps the pushed digests", async () => {
      for (const stack of ENVIRONMENTS) {
        const destroyed = drive("destroy", stack);
        assert.equal(destroyed.error, undefined, destroyed.error);
        assert.equal(destroyed.changes?.delete, 3);
        assert.equal(await manifestDigest(REPOSITORY_PATH, digests[stack], engine.registry), digests[stack]);
      }
    });
    language.extra?.({
      workspace: () => workspace,
      program: () => program,
      context: () => context,
      env: () => env,
      driver: () => driver,
    });
  });
}

/** Make `dir` a git checkout of what it holds (a user's project is one: `{gitShortSha}` comes from its commit). */
export function gitCheckout(dir: string): void {
  for (const args of [
    ["init", "-q", "-b", "main"],
    ["add", "-A"],
    ["commit", "-q", "-m", "app"],
  ])
    execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", ...args], { stdio: "ignore" });
}

/** Run a language's driver with `args` (`<command> <stack> <work dir> <config.json>`); the result it prints last. */
export function runDriver(
  driver: { command: string; args: string[] },
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): DriverResult {
  const run = spawnSync(driver.command, [...driver.args, ...args], {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(
    line,
    `${driver.command} ${args.join(" ")} printed no result (exit ${run.status}):\n${run.stdout}\n${run.stderr}`,
  );
  return JSON.parse(line.slice("RESULT ".length)) as DriverResult;
}

/** `dir` (a copy of the app under `app/`, a git checkout) previewed by `driver` as stack dev, with no config. */
export function previewExample(
  suite: LanguageSuite,
  name: string,
  driver: { command: string; args: string[] },
  env: NodeJS.ProcessEnv,
): DriverResult {
  const dir = path.join(suite.workspace().root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(suite.context(), path.join(dir, "app"), { recursive: true });
  gitCheckout(dir);
  const file = path.join(suite.workspace().root, `config-${name}.json`);
  fs.writeFileSync(file, "{}");
  return runDriver(driver, ["preview", "dev", dir, file], dir, env);
}
