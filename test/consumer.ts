/**
 * A user's own project: the packed tarball of this package installed beside a chosen
 * `@pulumi/pulumi`, TypeScript and @types/node in a directory of its own, its program and a
 * driver compiled there with its own TypeScript, and the driver running `pulumi
 * preview/up/destroy` through that project's own Automation API (the inline program is the
 * compiled program, as `pulumi up` would run it; the Node.js language host is not built here).
 *
 * Shared by the package tests (install, one SDK copy, compile, a real preview) and the e2e
 * consumer test (preview, up, a no-op up, destroy against the local registry).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./helpers";

/** Versions a consumer installs besides the tarball: the repo's own pins of the tools. */
const TOOL_VERSIONS = (() => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  return { typescript: pkg.devDependencies.typescript, "@types/node": pkg.devDependencies["@types/node"] };
})();

/** Where this process keeps its tarball and consumers; removed when it exits. */
let workDir: string | undefined;
function work(): string {
  if (!workDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-consumers-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    workDir = dir;
  }
  return workDir;
}

let packed: { tarball: string; files: string[] } | undefined;
/** `npm pack` of this repo (prepack builds it), once a process: the tarball's path and its files. */
export function packTarball(): { tarball: string; files: string[] } {
  if (packed) return packed;
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work()], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [first] = JSON.parse(out.slice(out.indexOf("["))) as Array<{ filename: string; files: { path: string }[] }>;
  packed = { tarball: path.join(work(), first.filename), files: first.files.map((f) => f.path) };
  return packed;
}

/** The newest `@pulumi/pulumi` the npm registry serves (its `latest` tag). */
export function newestSdk(): string {
  return execFileSync("npm", ["view", "@pulumi/pulumi@latest", "version"], { encoding: "utf8" }).trim();
}

/** The oldest version this package's peer range for `@pulumi/pulumi` allows (`^3.x.y` / `>=3.x.y`). */
export function oldestSdk(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    peerDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  const range = pkg.peerDependencies?.["@pulumi/pulumi"] ?? pkg.dependencies?.["@pulumi/pulumi"] ?? "";
  const floor = /^(?:\^|>=\s*)?(\d+\.\d+\.\d+)/.exec(range)?.[1];
  if (!floor) throw new Error(`cannot read the oldest @pulumi/pulumi from the range "${range}" in package.json`);
  return floor;
}

export interface Consumer {
  dir: string;
  /** The `@pulumi/pulumi` version asked for. */
  sdk: string;
  /** Seconds each step took: install, compile. */
  timings: Record<string, number>;
}

const PACKAGE_JSON = (tarball: string, sdk: string): object => ({
  name: "multistage-consumer",
  private: true,
  dependencies: { "@pulumi/pulumi": sdk, "pulumi-multistage-image": `file:${tarball}` },
  devDependencies: TOOL_VERSIONS,
});

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "commonjs",
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ["node"],
    outDir: "out",
  },
  include: ["*.ts"],
};

/**
 * The consumer's program: one image of its own app for the stack's environment, pushed with
 * the `docker-cli` back end (the one whose plugin this machine can run) to the registry in config.
 */
export const CONSUMER_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage } from "pulumi-multistage-image";

const config = new pulumi.Config();
const password = config.getSecret("password");
const app = new MultiStageImage("app", {
  context: config.require("context"),
  backend: "docker-cli",
  gitSha: "c0f5e0000000000000000000000000000000beef",
  environments: { dev: { target: "dev" }, production: {} },
  buildArgs: config.getObject<Record<string, string>>("buildArgs") ?? {},
  registry: {
    repository: config.require("repository"),
    ...(password ? { username: config.require("username"), password } : {}),
  },
});

export const imageUri = app.imageUri;
export const target = app.target;
export const tags = app.tags;
export const rebuildReason = app.rebuildReason;
`;

/**
 * The consumer's mocks program: `node out/mocks.js <context>` runs the component under
 * `pulumi.runtime.setMocks` and prints its outputs as one JSON line.
 */
export const CONSUMER_MOCKS = `
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage, type MultiStageImageArgs, toKubernetesContainer } from "pulumi-multistage-image";
import { parseDockerfile, resolveTarget, stageNames } from "pulumi-multistage-image/dockerfile";

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type === "aws:ecr/repository:Repository") state.repositoryUrl = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app";
      // The default back end's image resource: its digest, as a user's mocks would give it.
      if (args.type === "pulumi-nodejs:dynamic/multistage:DockerCliImage") state.digest = "sha256:" + "ab".repeat(32);
      return { id: args.name + "-id", state };
    },
    call: (args) => (args.token.endsWith("getAuthorizationToken") ? { userName: "AWS", password: "p" } : args.inputs),
  },
  "packed",
  "production",
  false,
);

const { model } = parseDockerfile("FROM busybox:1.36 AS dev\\nFROM busybox:1.36 AS app\\n");
const resolution = resolveTarget(model, { target: "dev" });
const args: MultiStageImageArgs = { context: process.argv[2], gitSha: "0123456789abcdef0123456789abcdef01234567" };
const image = new MultiStageImage("app", args);
pulumi
  .all([image.imageUri, image.target, image.tags, toKubernetesContainer(image, { name: "app" })])
  .apply(([imageUri, target, tags, container]) => {
    console.log(JSON.stringify({ stages: stageNames(model), found: resolution.found, imageUri, target, tags, image: container.image }));
  });
`;

/**
 * The consumer's driver: \`node out/driver.js <stack> <preview|up|destroy|remove> [config.json]\`
 * runs that operation on the consumer's program through its own Automation API, with a
 * file backend from the environment, and prints one JSON line with the result.
 */
export const CONSUMER_DRIVER = `import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";

async function main(): Promise<void> {
  const [stackName, operation, configFile] = process.argv.slice(2);
  // MULTISTAGE_CONSUMER_PROGRAM=empty runs the empty program (the benchmark's baseline).
  const program = path.join(__dirname, (process.env.MULTISTAGE_CONSUMER_PROGRAM ?? "index") + ".js");
  const stack = await LocalWorkspace.createOrSelectStack(
    {
      stackName,
      projectName: "multistage-consumer",
      program: async () => {
        delete require.cache[require.resolve(program)];
        return require(program);
      },
    },
    { workDir: path.join(__dirname, ".."), envVars: process.env as Record<string, string> },
  );
  if (configFile) await stack.setAllConfig(JSON.parse(fs.readFileSync(configFile, "utf8")));
  const started = Date.now();
  let result: object;
  if (operation === "preview") {
    const preview = await stack.preview();
    result = { changeSummary: preview.changeSummary, stdout: preview.stdout };
  } else if (operation === "up") {
    const up = await stack.up();
    const outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
    result = { resourceChanges: up.summary.resourceChanges, outputs };
  } else if (operation === "destroy") {
    const destroy = await stack.destroy();
    result = { resourceChanges: destroy.summary.resourceChanges };
  } else if (operation === "remove") {
    await stack.workspace.removeStack(stackName, { force: true });
    result = {};
  } else {
    throw new Error("unknown operation " + operation);
  }
  console.log(JSON.stringify({ ...result, seconds: (Date.now() - started) / 1000 }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
`;

/**
 * A program with one dynamic resource whose provider does nothing: the floor of a no-op `pulumi up`
 * of any image resource served by a Node dynamic provider (the engine starts its plugin process,
 * which loads the SDK, for Check and Diff), for the benchmark.
 */
const DYNAMIC_PROGRAM = `import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async diff() {
    return { changes: false };
  },
  async create(inputs) {
    return { id: "nothing", outs: inputs };
  },
};

class Nothing extends pulumi.dynamic.Resource {
  constructor(name: string) {
    super(provider, name, { value: 1 }, {}, "bench", "Nothing");
  }
}

new Nothing("nothing");
`;

/** An app of the consumer's in `apps/<name>`: a two-stage Dockerfile (`dev`, `production`) on `base`. */
export function writeConsumerApp(consumer: Consumer, name: string, base: string): string {
  const app = path.join(consumer.dir, "apps", name);
  fs.mkdirSync(app, { recursive: true });
  fs.writeFileSync(
    path.join(app, "Dockerfile"),
    [
      `ARG BASE=${base}`,
      "FROM ${BASE} AS dev",
      "COPY greeting.txt /srv/greeting.txt",
      'CMD ["cat", "/srv/greeting.txt"]',
      "",
      "FROM ${BASE} AS production",
      "COPY --from=dev /srv/greeting.txt /srv/greeting.txt",
      "USER 65534",
      'CMD ["cat", "/srv/greeting.txt"]',
      "",
    ].join("\n"),
  );
  fs.writeFileSync(path.join(app, "greeting.txt"), "hello from a consumer\n");
  return app;
}

const elapsed = (started: number): number => Math.round((Date.now() - started) / 100) / 10;

const consumers = new Map<string, Consumer>();
/**
 * A fresh project on `@pulumi/pulumi@sdk` with the packed tarball, compiled with its own
 * TypeScript; made once a process per version (the package and e2e suites share it).
 */
export function consumerOn(sdk: string): Consumer {
  const made = consumers.get(sdk);
  if (made) return made;
  const dir = path.join(work(), `consumer-${sdk}`);
  const { tarball } = packTarball();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(PACKAGE_JSON(tarball, sdk), null, 2));
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
  fs.writeFileSync(path.join(dir, "index.ts"), CONSUMER_PROGRAM);
  fs.writeFileSync(path.join(dir, "driver.ts"), CONSUMER_DRIVER);
  fs.writeFileSync(path.join(dir, "mocks.ts"), CONSUMER_MOCKS);
  fs.writeFileSync(
    path.join(dir, "empty.ts"),
    "// A program with no resource: the baseline of a no-op `pulumi up`.\nexport {};\n",
  );
  fs.writeFileSync(path.join(dir, "dynamic.ts"), DYNAMIC_PROGRAM);
  const timings: Record<string, number> = {};
  let started = Date.now();
  run("npm", ["install", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], dir);
  timings.install = elapsed(started);
  started = Date.now();
  run(process.execPath, [path.join("node_modules", "typescript", "bin", "tsc"), "-p", "."], dir);
  timings.compile = elapsed(started);
  const consumer = { dir, sdk, timings };
  consumers.set(sdk, consumer);
  return consumer;
}

/** Every `@pulumi/pulumi` the consumer's tree holds: the `npm ls` view and the copies on disk. */
export function sdkCopies(consumer: Consumer): { npmLs: string[]; onDisk: string[]; npmLsOk: boolean } {
  const ls = spawnSync("npm", ["ls", "@pulumi/pulumi", "--all", "--parseable", "--long"], {
    cwd: consumer.dir,
    encoding: "utf8",
  });
  const npmLs = [...new Set(ls.stdout.split("\n").filter(Boolean))].map(
    // `npm ls --parseable --long`: `<path>:<name>@<version>[:…]`, an npm package, not an image reference.
    (line) => {
      const [, where = "", version = ""] = /^([^:]*):(?:[^:]*@)?([^:@]*)/.exec(line) ?? [];
      return `${path.relative(consumer.dir, where)}@${version}`;
    },
  );
  const onDisk: string[] = [];
  const walk = (modules: string): void => {
    if (!fs.existsSync(modules)) return;
    for (const entry of fs.readdirSync(modules)) {
      const full = path.join(modules, entry);
      if (entry.startsWith("@")) {
        for (const scoped of fs.readdirSync(full)) visit(path.join(full, scoped), `${entry}/${scoped}`);
      } else visit(full, entry);
    }
  };
  const visit = (pkgDir: string, name: string): void => {
    if (name === "@pulumi/pulumi") {
      const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { version: string })
        .version;
      onDisk.push(`${path.relative(consumer.dir, pkgDir)}@${version}`);
    }
    walk(path.join(pkgDir, "node_modules"));
  };
  walk(path.join(consumer.dir, "node_modules"));
  return { npmLs, onDisk, npmLsOk: ls.status === 0 };
}

export interface DriverResult {
  changeSummary?: Record<string, number>;
  resourceChanges?: Record<string, number>;
  outputs?: Record<string, unknown>;
  stdout?: string;
  seconds: number;
}

/**
 * Run the consumer's driver in its own process (its own node_modules), with `env` (PATH to the
 * Pulumi CLI, the file backend); throws with the driver's stderr when the operation fails.
 */
export function drive(
  consumer: Consumer,
  env: Record<string, string>,
  stack: string,
  operation: "preview" | "up" | "destroy" | "remove",
  config?: Record<string, { value: string; secret?: boolean }>,
): DriverResult {
  const args = [path.join("out", "driver.js"), stack, operation];
  if (config) {
    const file = path.join(consumer.dir, `config-${stack}.json`);
    fs.writeFileSync(file, JSON.stringify(config));
    args.push(file);
  }
  const result = spawnSync(process.execPath, args, {
    cwd: consumer.dir,
    encoding: "utf8",
    env: { ...env, NODE_PATH: "" },
    // An SDK that fails inside the program can leave the operation hanging: preview is quick.
    timeout: operation === "preview" ? 180_000 : 600_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `${operation} of stack ${stack} in ${consumer.dir} failed (exit ${result.status}${result.signal ? `, ${result.signal}` : ""}):\n${result.stderr.trim().split("\n").slice(-25).join("\n")}`,
    );
  }
  return JSON.parse(result.stdout.trim().split("\n").pop() as string) as DriverResult;
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} in ${cwd} failed:\n${(result.stderr || result.stdout).trim()}`);
}
