/**
 * The closure with the real engine: BuildKit given the Dockerfile reduced to the target's
 * closure and its `<Dockerfile>.dockerignore` builds what the Dockerfile as written builds,
 * is sent only the files the closure copies, and an edit to any other file leaves the
 * inputs hash and every step as they were.
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type BuildPlan } from "../../src/plan";
import { planBuildFromFiles, targetInputs, writeClosureFiles } from "../../src/context";
import { type Engine, requireEngine } from "./engine";

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
    fs.writeFileSync(path.join(dir, "src", "app.txt"), "app v2, edited\n");
    assert.notEqual(targetInputs(plan).hash, hash);
    const edited = await build(writeClosureFiles(plan, targetInputs(plan)));
    assert.ok(
      edited.steps.some((s) => !s.cached && /RUN cat/.test(s.instruction)),
      `the RUN after the edited COPY ran again: ${JSON.stringify(edited.steps)}`,
    );
  });
});
