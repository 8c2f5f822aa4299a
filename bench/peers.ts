/**
 * Side by side (`npm run bench:peers`): a monorepo of three seed services and a shared
 * library, each service with its own multi-stage Dockerfile that copies only what it needs,
 * all built from the repository root, dev and production stacks. One scripted sequence of
 * edits goes through real `pulumi up` with
 *   (a) this package: one MultiStageImage per service (docker-cli back end), and
 *   (b) the peer: one image per service and environment as a plain `@pulumi/docker-build`
 *       `Image` is written over the root context (bench/peers/whole-context.js: the same
 *       build, replaced whenever the context hash changes, as that provider does);
 * and reports per step and in total the images built, the images pushed and the wall time.
 * Both build with the same engine, the same base images and the same BuildKit cache; the
 * test gate is off in (a), since (b) has none. By default the engine's build cache is emptied
 * before each step of each variant, as on a fresh CI runner (BENCH_CACHE=warm keeps it).
 * Writes bench/results/peers-<cache>-<machine>.{json,md}.
 * Needs the engine and registry of scripts/docker-up.sh and the Pulumi CLI of
 * scripts/pulumi-tools.sh (both started or built here when missing).
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { REPO_ROOT, exampleSettings, localEnv, localRegistry } from "../scripts/lib/local";

const MONOREPO = path.join(__dirname, "peers", "monorepo");
const GIT_SHA = "be7c000000000000000000000000000000000001";
const SERVICES = [
  { name: "api", example: "node-service", dockerfile: "api.Dockerfile" },
  { name: "web", example: "node-nginx", dockerfile: "web.Dockerfile" },
  { name: "go", example: "go-service", dockerfile: "go.Dockerfile" },
] as const;
const ENVIRONMENTS = ["dev", "production"] as const;
/** `cold`: the engine's build cache is emptied before each step of each variant, as on a fresh CI runner. */
/**
 * cold: the build cache emptied before each step (a fresh CI runner); warm: kept (one long-lived
 * machine); registry: a fresh runner whose builds read and write a registry cache, both sides
 * on the same standalone BuildKit (ours with registryCache, the peer with cacheFrom/cacheTo).
 */
const CACHE = (["warm", "registry"] as const).find((c) => c === process.env.BENCH_CACHE) ?? "cold";
/** The buildx builder of scripts/buildkit-up.sh, used by both sides with BENCH_CACHE=registry. */
const BUILDER = "multistage";

/** An edit that appends `text` to `file` of the monorepo. */
const append =
  (file: string, text = "\n// edited\n") =>
  (root: string): void =>
    fs.appendFileSync(path.join(root, file), text);

/** The edits, in order, each with the builds the stage graph says are needed (the minimum). */
const ALL_STEPS: Array<{ name: string; minimum: number; edit: (root: string) => void }> = [
  { name: "no-op", minimum: 0, edit: () => undefined },
  { name: "root README", minimum: 0, edit: append("README.md", "\nMore words.\n") },
  { name: "api source file", minimum: 2, edit: append("services/api/src/server.js") },
  { name: "api test file", minimum: 1, edit: append("services/api/test/server.test.js") },
  { name: "shared library", minimum: 4, edit: append("libs/shared/greeting.js") },
  { name: "go dev-only file", minimum: 1, edit: append("services/go/dev/notes.md", "\nedited\n") },
  {
    name: "api base image bump",
    minimum: 1,
    edit: (r) => fs.writeFileSync(path.join(r, ".runtime-image"), "multistage-local/node:20.1-slim"),
  },
];

const STEPS = process.env.BENCH_STEPS ? ALL_STEPS.slice(0, Number(process.env.BENCH_STEPS)) : ALL_STEPS;

interface StepResult {
  step: string;
  minimum: number;
  ours: { builds: number; pushes: number; seconds: number };
  peer: { builds: number; pushes: number; seconds: number };
}

/** The monorepo, assembled from the examples' apps and bench/peers/monorepo. */
function monorepo(dir: string): void {
  fs.cpSync(path.join(MONOREPO, "libs"), path.join(dir, "libs"), { recursive: true });
  fs.copyFileSync(path.join(MONOREPO, "README.md"), path.join(dir, "README.md"));
  fs.copyFileSync(path.join(MONOREPO, "dockerignore"), path.join(dir, ".dockerignore"));
  fs.writeFileSync(path.join(dir, ".runtime-image"), "multistage-local/node:20-slim");
  for (const s of SERVICES) {
    const target = path.join(dir, "services", s.name);
    fs.cpSync(path.join(REPO_ROOT, "examples", s.example, "app"), target, {
      recursive: true,
      filter: (src) => !/(^|\/)(Dockerfile|\.dockerignore|node_modules)$/.test(src),
    });
    fs.copyFileSync(path.join(MONOREPO, s.dockerfile), path.join(target, "Dockerfile"));
    fs.mkdirSync(path.join(target, "dev"), { recursive: true });
    fs.writeFileSync(path.join(target, "dev", "notes.md"), `Dev-only notes of ${s.name}.\n`);
  }
}

/** Build args of a service: the offline base images, the version, and the api runtime image of the last bump. */
function buildArgs(root: string, example: string): Record<string, string> {
  const args: Record<string, string> = {
    ...exampleSettings(example as "node-service").localBaseImages,
    ...(example === "node-nginx" ? {} : { APP_VERSION: "1.0.0" }),
  };
  if (example === "node-service") args.NODE_RUNTIME_IMAGE = fs.readFileSync(path.join(root, ".runtime-image"), "utf8");
  return args;
}

/** (b): the peer's image resource (see bench/peers/whole-context.js). */
const peerProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds: { fingerprint: string }, news: { fingerprint: string }) {
    return { changes: olds.fingerprint !== news.fingerprint };
  },
  async create(inputs: { peerModule: string }) {
    /* eslint-disable-next-line @typescript-eslint/no-require-imports */
    const peer = require(inputs.peerModule) as { buildAndPush: (i: unknown) => Promise<{ digest: string }> };
    const outs = await peer.buildAndPush(inputs);
    return { id: outs.digest, outs };
  },
  async update(_id, _olds, news: { peerModule: string }) {
    /* eslint-disable-next-line @typescript-eslint/no-require-imports */
    const peer = require(news.peerModule) as { buildAndPush: (i: unknown) => Promise<unknown> };
    return { outs: await peer.buildAndPush(news) };
  },
};

class PeerImage extends pulumi.dynamic.Resource {
  declare readonly digest: pulumi.Output<string>;
  constructor(name: string, inputs: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(peerProvider, name, { ...inputs, digest: undefined }, opts, "bench", "PeerImage");
  }
}

async function main(): Promise<void> {
  const env = localEnv();
  if (!env.MULTISTAGE_REGISTRY)
    execFileSync("bash", [path.join(REPO_ROOT, "scripts", "docker-up.sh")], { stdio: "inherit" });
  let engineEnv = localEnv();
  const registry = localRegistry(engineEnv);
  const bin = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "pulumi-tools.sh")], { encoding: "utf8" }).trim();
  execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
  const docker = engineEnv.MULTISTAGE_DOCKER_CLI ?? "docker";
  execFileSync(docker, ["tag", "multistage-local/node:20-slim", "multistage-local/node:20.1-slim"], { env: engineEnv });
  if (CACHE === "registry") {
    // After the tag above: it pushes the engine's base images to the registry BuildKit reads.
    execFileSync("bash", [path.join(REPO_ROOT, "scripts", "buildkit-up.sh")], { env: engineEnv, stdio: "inherit" });
    engineEnv = localEnv();
  }
  const builderEnv: Record<string, string> =
    CACHE === "registry"
      ? { MULTISTAGE_BUILDX: engineEnv.MULTISTAGE_BUILDX ?? "", BUILDX_CONFIG: engineEnv.BUILDX_CONFIG ?? "" }
      : {};

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-peers-"));
  const root = path.join(work, "monorepo");
  monorepo(root);
  const workDir = path.join(work, "workspace");
  fs.mkdirSync(workDir);
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(workDir, "node_modules"));
  const run = Date.now().toString(36);
  const stackEnv: Record<string, string> = {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    PULUMI_HOME: path.join(work, "home"),
    PULUMI_BACKEND_URL: `file://${work}`,
    PULUMI_CONFIG_PASSPHRASE: "bench-peers",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    DOCKER_HOST: engineEnv.DOCKER_HOST ?? "",
    MULTISTAGE_DOCKER_CLI: docker,
    MULTISTAGE_GIT_SHA: GIT_SHA,
    ...builderEnv,
  };
  Object.assign(process.env, stackEnv);
  const credentials = { username: registry.username, password: registry.password };

  const ours = async (): Promise<void> => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MultiStageImage } = require("pulumi-multistage-image") as typeof import("../src");
    for (const s of SERVICES) {
      new MultiStageImage(s.name, {
        context: root,
        dockerfile: path.join(root, "services", s.name, "Dockerfile"),
        buildArgs: buildArgs(root, s.example),
        environments: { dev: { target: "dev" }, production: { allowUnpinnedBaseImages: true } },
        testStage: false,
        backend: "docker-cli",
        // The registry cache is on by default with a builder.
        ...(CACHE === "registry" ? { builder: BUILDER } : {}),
        registry: { repository: `${registry.server}/bench-${run}/ours-${s.name}`, ...credentials },
      });
    }
  };
  const peer = async (): Promise<void> => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const context = require(path.join(REPO_ROOT, "lib", "context")) as typeof import("../src/context");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { contextHash } = require(path.join(__dirname, "peers", "whole-context.js")) as {
      contextHash: (c: string, d: string) => string;
    };
    for (const s of SERVICES) {
      const dockerfile = path.join(root, "services", s.name, "Dockerfile");
      const planned = context.planBuildFromFiles({
        context: root,
        dockerfile,
        environment: new pulumi.Config("multistage").require("environment"),
        environments: { dev: { target: "dev" }, production: { allowUnpinnedBaseImages: true } },
        buildArgs: buildArgs(root, s.example),
        gitSha: GIT_SHA,
        testStage: false,
      });
      const repository = `${registry.server}/bench-${run}/peer-${s.name}`;
      const { closure, ...asWritten } = planned;
      void closure;
      // With BENCH_CACHE=registry, what a user of that provider writes: the same builder, and
      // cacheFrom/cacheTo one cache tag in the image's repository (mode=max).
      const withCache =
        CACHE === "registry"
          ? { ...asWritten, builder: { name: BUILDER }, cache: { to: "cache", from: ["cache"], mode: "max" as const } }
          : asWritten;
      const fingerprint = crypto
        .createHash("sha256")
        .update(JSON.stringify([planned.target, planned.buildArgs, planned.tags, contextHash(root, dockerfile)]))
        .digest("hex");
      new PeerImage(s.name, {
        plan: withCache,
        repository,
        registry: pulumi.secret({ server: registry.server, ...credentials }),
        fingerprint,
        peerModule: path.join(__dirname, "peers", "whole-context.js"),
        executorModule: path.join(REPO_ROOT, "lib", "executor", "index.js"),
      });
    }
  };

  const stacks: Record<"ours" | "peer", Record<string, Stack>> = { ours: {}, peer: {} };
  for (const [variant, program] of [
    ["ours", ours],
    ["peer", peer],
  ] as const) {
    for (const environment of ENVIRONMENTS) {
      stacks[variant][environment] = await LocalWorkspace.createOrSelectStack(
        // Stack names are unique across projects (the file backend keeps them in one place).
        { stackName: `${variant}-${environment}`, projectName: `bench-${variant}`, program },
        { workDir, envVars: stackEnv },
      );
      await stacks[variant][environment].setConfig("multistage:environment", { value: environment });
    }
  }

  /** `pulumi up` of every stack of `variant`: images built (created or updated) and seconds. */
  const upAll = async (variant: "ours" | "peer"): Promise<{ builds: number; pushes: number; seconds: number }> => {
    // A fresh CI runner has no build cache: empty it before each step (BENCH_CACHE=warm keeps it).
    if (CACHE === "cold")
      execFileSync(docker, ["builder", "prune", "--all", "--force"], { env: engineEnv, stdio: "ignore" });
    // A fresh runner with a registry cache: the builder's own cache emptied, the registry's kept.
    if (CACHE === "registry")
      execFileSync(builderEnv.MULTISTAGE_BUILDX, ["prune", "--builder", BUILDER, "--all", "--force"], {
        env: { ...engineEnv, ...builderEnv },
        stdio: "ignore",
      });
    const started = Date.now();
    let builds = 0;
    for (const environment of ENVIRONMENTS) {
      const up = await stacks[variant][environment].up(
        process.env.BENCH_VERBOSE ? { onOutput: (o) => process.stdout.write(o) } : {},
      );
      const changes = up.summary.resourceChanges ?? {};
      // Components and the stack are created once; images are what is created or updated after.
      builds += (changes.update ?? 0) + (changes.replace ?? 0) + (changes.create ?? 0);
    }
    return { builds, pushes: builds, seconds: (Date.now() - started) / 1000 };
  };

  console.log(`monorepo at ${root}; initial builds (cold for both)`);
  const initial = { ours: await upAll("ours"), peer: await upAll("peer") };
  console.log(`  initial: ours ${initial.ours.seconds.toFixed(1)} s, peer ${initial.peer.seconds.toFixed(1)} s`);
  const results: StepResult[] = [];
  for (const step of STEPS) {
    step.edit(root);
    const ourStep = await upAll("ours");
    const peerStep = await upAll("peer");
    results.push({ step: step.name, minimum: step.minimum, ours: ourStep, peer: peerStep });
    console.log(
      `  ${step.name.padEnd(20)} minimum ${step.minimum}  ours ${ourStep.builds} built ${ourStep.seconds.toFixed(1)} s   peer ${peerStep.builds} built ${peerStep.seconds.toFixed(1)} s`,
    );
  }
  const total = (k: "ours" | "peer") => ({
    builds: results.reduce((n, r) => n + r[k].builds, 0),
    pushes: results.reduce((n, r) => n + r[k].pushes, 0),
    seconds: results.reduce((n, r) => n + r[k].seconds, 0),
  });
  const sum = { ours: total("ours"), peer: total("peer"), minimum: results.reduce((n, r) => n + r.minimum, 0) };
  const ratio = sum.ours.seconds / sum.peer.seconds;
  const machine = `${os.hostname()} (${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()})`;
  const table = [
    `Build cache: ${{ cold: "emptied before each step of each variant (a fresh CI runner)", warm: "kept between steps (one long-lived machine)", registry: `emptied before each step, with a registry cache on both sides (a fresh CI runner; both build on the standalone BuildKit builder "${BUILDER}", this package with registryCache, the peer with cacheFrom/cacheTo mode=max)` }[CACHE]}. Measured on ${machine}, ${new Date().toISOString()}; Docker engine ${execFileSync(docker, ["version", "--format", "{{.Server.Version}}"], { env: engineEnv, encoding: "utf8" }).trim()}, Pulumi CLI from scripts/pulumi-tools.sh.`,
    "",
    "| step | builds needed | this package: built / pushed | wall s | plain docker-build Image per service: built / pushed | wall s |",
    "| --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.step} | ${r.minimum} | ${r.ours.builds} / ${r.ours.pushes} | ${r.ours.seconds.toFixed(1)} | ${r.peer.builds} / ${r.peer.pushes} | ${r.peer.seconds.toFixed(1)} |`,
    ),
    `| **total** | **${sum.minimum}** | **${sum.ours.builds} / ${sum.ours.pushes}** | **${sum.ours.seconds.toFixed(1)}** | **${sum.peer.builds} / ${sum.peer.pushes}** | **${sum.peer.seconds.toFixed(1)}** |`,
    "",
    `This package's wall time is ${(100 * ratio).toFixed(0)} % of the peer's (goal: at most 40 %); initial cold builds: ${initial.ours.seconds.toFixed(1)} s and ${initial.peer.seconds.toFixed(1)} s.`,
  ].join("\n");
  console.log(`\n${table}`);
  const results_dir = path.join(REPO_ROOT, "bench", "results");
  fs.mkdirSync(results_dir, { recursive: true });
  const name = `peers-${CACHE}-${os.hostname().replace(/[^A-Za-z0-9.-]/g, "_")}`;
  fs.writeFileSync(
    path.join(results_dir, `${name}.json`),
    `${JSON.stringify({ machine, cache: CACHE, date: new Date().toISOString(), initial, steps: results, total: sum, ratio }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(results_dir, `${name}.md`), `${table}\n`);
  for (const byEnv of Object.values(stacks))
    for (const s of Object.values(byEnv)) await s.workspace.removeStack(s.name, { force: true }).catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
