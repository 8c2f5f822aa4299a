/**
 * The closure with the real engine: BuildKit given the Dockerfile reduced to the target's
 * closure and its `<Dockerfile>.dockerignore` builds what the Dockerfile as written builds,
 * is sent only the files the closure copies, and an edit to any other file leaves the
 * inputs hash and every step as they were.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type BuildPlan } from "../../src/plan";
import { planBuildFromFiles, targetInputs, writeClosureFiles } from "../../src/context";
import { DockerExecutor } from "../../src/executor";
import { type Engine, requireBuilder, requireEngine } from "./engine";

const DOCKERFILE = `FROM multistage-local/busybox:1 AS dev
COPY . /all
FROM multistage-local/busybox:1 AS production
COPY src /src
RUN cat /src/app.txt > /built.txt
`;

/** Bytes BuildKit reports for the build context ("transferring context: 5.24MB"). */
function contextBytes(log: string): number {
  const sizes = [...log.matchAll(/transferring context: ([\d.]+)([kMG]?B)/g)].map(([, n, unit]) => {
    const scale = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[unit] ?? 1;
    return Number(n) * scale;
  });
  return Math.max(0, ...sizes);
}

const unique = (): string => `${Date.now()}-${Math.random().toString(36).slice(2)}`;

/**
 * Rewrite `file` with `content` of the same length, keeping its modification time to the
 * nanosecond (`touch -r`): what a restored checkout or an unpacked tarball does.
 */
function rewriteKeepingStat(file: string, content: string): void {
  assert.equal(Buffer.byteLength(content), fs.statSync(file).size, "same size");
  const reference = path.join(os.tmpdir(), `multistage-mtime-${unique()}`);
  execFileSync("touch", ["-r", file, reference]);
  fs.writeFileSync(file, content);
  execFileSync("touch", ["-r", reference, file]);
  fs.rmSync(reference);
}

describe("Integration: BuildKit sees only what the target's closure copies", function () {
  this.timeout(600_000);
  let engine: Engine;
  let dir: string;
  let plan: BuildPlan;

  before(function () {
    engine = requireEngine(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-closure-"));
    fs.mkdirSync(path.join(dir, "src"));
    fs.writeFileSync(path.join(dir, "src", "app.txt"), "app v1\n");
    // 5 MB that only dev copies.
    fs.writeFileSync(path.join(dir, "dataset.bin"), crypto.randomBytes(5_000_000));
    fs.writeFileSync(path.join(dir, "Dockerfile"), DOCKERFILE);
    plan = planBuildFromFiles({
      context: dir,
      environment: "production",
      environments: { production: { allowUnpinnedBaseImages: true } },
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const build = async (dockerfile: string, noCache = false) =>
    engine.executor.build({ ...plan, dockerfile, tags: [] }, "multistage-tests/closure", { noCache });

  it("builds the target from the closure files, with the instructions of the Dockerfile as written, sent only src", async () => {
    assert.deepEqual(plan.closure?.patterns, ["src"]);
    const whole = await build(plan.dockerfile, true);
    const closure = await build(writeClosureFiles(plan, targetInputs(plan)), true);
    const ran = (log: typeof whole) =>
      log.steps.filter((s) => /COPY|RUN/.test(s.instruction)).map((s) => s.instruction);
    assert.deepEqual(ran(closure), ran(whole));
    assert.deepEqual(ran(closure), ["COPY src /src", "RUN cat /src/app.txt > /built.txt"]);
    console.log(`      context sent with the closure: ${contextBytes(closure.log)} B (dataset.bin is 5 MB)`);
    assert.ok(contextBytes(closure.log) < 10_000, `closure: ${contextBytes(closure.log)} B`);
  });

  it("an edit outside the closure keeps the inputs hash and every step cached; inside, it rebuilds", async () => {
    const hash = targetInputs(plan).hash;
    fs.writeFileSync(path.join(dir, "dataset.bin"), crypto.randomBytes(5_000_000));
    assert.equal(targetInputs(plan).hash, hash);
    const again = await build(writeClosureFiles(plan, targetInputs(plan)));
    assert.deepEqual(
      again.steps.filter((s) => !s.cached && /COPY|RUN/.test(s.instruction)).map((s) => s.instruction),
      [],
    );
    // New to BuildKit's cache, which outlives a test run: a fixed text ("app v2") built by an
    // earlier run is found there, rightly, and nothing runs (this test's old flake).
    fs.writeFileSync(path.join(dir, "src", "app.txt"), `app v2, edited ${unique()}\n`);
    assert.notEqual(targetInputs(plan).hash, hash);
    const edited = await build(writeClosureFiles(plan, targetInputs(plan)));
    assert.ok(
      edited.steps.some((s) => !s.cached && /RUN cat/.test(s.instruction)),
      `the RUN after the edited COPY ran again: ${JSON.stringify(edited.steps)}`,
    );
  });
});

describe("Integration: an edit that keeps a file's size and modification time is built from the new content", function () {
  this.timeout(600_000);
  const DOCKERFILE_OF = (base: string): string =>
    `FROM ${base} AS production\nCOPY src /src\nRUN cat /src/app.txt > /built.txt\n`;

  /** A context whose src/app.txt is `AAAA-<unique>`, and its plan. */
  function context(base: string, builder?: string): { dir: string; plan: BuildPlan; file: string; mark: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-stat-"));
    fs.mkdirSync(path.join(dir, "src"));
    const mark = unique();
    const file = path.join(dir, "src", "app.txt");
    fs.writeFileSync(file, `AAAA-${mark}\n`);
    fs.writeFileSync(path.join(dir, "Dockerfile"), DOCKERFILE_OF(base));
    const plan = planBuildFromFiles({
      context: dir,
      environment: "production",
      ...(builder ? { builder } : {}),
      environments: { production: { allowUnpinnedBaseImages: true } },
    });
    return { dir, plan: { ...plan, tags: ["stat"] }, file, mark };
  }

  // BuildKit keeps a copy of the context per client node and path, and does not send a file
  // again whose size and modification time it already has (moby/buildkit#4817). Each publish
  // runs with an executor of its own (a new node): the second build must read BBBB.
  it("on the Docker engine's builder", async function () {
    const engine = requireEngine(this);
    const { dir, plan, file, mark } = context("multistage-local/busybox:1");
    const first = new DockerExecutor({ env: engine.env });
    await first.build(plan, "multistage-tests/stat");
    first.dispose();
    rewriteKeepingStat(file, `BBBB-${mark}\n`);
    const second = new DockerExecutor({ env: engine.env });
    const rebuilt = await second.build(plan, "multistage-tests/stat");
    second.dispose();
    const built = execFileSync(
      engine.env.MULTISTAGE_DOCKER_CLI ?? "docker",
      ["run", "--rm", rebuilt.imageId, "cat", "/built.txt"],
      {
        env: engine.env,
        encoding: "utf8",
      },
    );
    assert.equal(built.trim(), `BBBB-${mark}`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("on a BuildKit builder (buildx)", async function () {
    const engine = requireEngine(this);
    const builder = requireBuilder(this);
    const { dir, plan, file, mark } = context(`${engine.registry.server}/multistage-local/busybox:1`, builder.name);
    const repository = `${engine.registry.server}/multistage-tests/stat`;
    const build = async (): Promise<string[]> => {
      const executor = new DockerExecutor({ env: builder.env });
      try {
        await executor.login(engine.registry);
        const result = await executor.buildWithBuilder(plan, repository, { push: false });
        return result.steps.filter((s) => !s.cached).map((s) => s.instruction);
      } finally {
        executor.dispose();
      }
    };
    await build();
    rewriteKeepingStat(file, `BBBB-${mark}\n`);
    assert.deepEqual(
      (await build()).filter((i) => !i.startsWith("FROM")),
      ["COPY src /src", "RUN cat /src/app.txt > /built.txt"],
      "the builder used its old copy of src/app.txt",
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
