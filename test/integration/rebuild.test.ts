/**
 * Rebuilds follow the stage graph: nothing changed → nothing runs, same image;
 * a source edit → only the edited stage and its dependents run again.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { BuildPlan } from "../../src";
import { dependentStages, findStage, stageLabel } from "../../src/dockerfile";
import { type BuildStep, executedSteps } from "../../src/executor/progress";
import { readDockerfile } from "../../src/context";
import { exampleSettings, localPlan } from "../../scripts/lib/local";
import { type Engine, requireEngine } from "./engine";

function copyApp(from: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-rebuild-"));
  fs.cpSync(from, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
  return dir;
}

/** Edits must be new to BuildKit's cache, which outlives a test run. */
const unique = (): string => `${Date.now()}-${Math.random().toString(36).slice(2)}`;

const stagesThatRan = (steps: BuildStep[]): string[] =>
  [...new Set(executedSteps(steps).map((s) => s.stage ?? "?"))].sort();

describe("Integration: rebuilds follow the stage graph", function () {
  this.timeout(600000);
  let engine: Engine;
  let dir: string;
  let plan: BuildPlan;
  const repository = "multistage-tests/rebuild";

  before(function () {
    engine = requireEngine(this);
    dir = copyApp(exampleSettings("node-service").args.context);
    plan = {
      ...localPlan("node-service", "production"),
      context: dir,
      dockerfile: path.join(dir, "Dockerfile"),
      tags: ["rebuild"],
    };
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  let cold: { imageId: string; durationMs: number };

  it("with nothing changed, nothing runs and the image ID stays; prints cold vs warm time", async () => {
    cold = await engine.executor.build(plan, repository, { noCache: true });
    const warm = await engine.executor.build(plan, repository);
    assert.equal(warm.imageId, cold.imageId);
    assert.deepEqual(executedSteps(warm.steps), [], "steps ran on a warm rebuild");
    console.log(
      `      cold build ${(cold.durationMs / 1000).toFixed(2)}s, warm rebuild ${(warm.durationMs / 1000).toFixed(2)}s → ${(cold.durationMs / warm.durationMs).toFixed(1)}x faster`,
    );
  });

  it("a source edit reruns only the builder stage and its dependents, never deps", async () => {
    fs.appendFileSync(path.join(dir, "src", "server.js"), `\n// edited ${unique()}\n`);
    const result = await engine.executor.build(plan, repository);
    const { model } = readDockerfile(plan);
    const allowed = dependentStages(model, findStage(model, "builder")!.index).map(stageLabel);
    const ran = stagesThatRan(result.steps);
    assert.ok(ran.includes("builder") && ran.includes("production"), `ran: ${ran}`);
    for (const stage of ran) assert.ok(allowed.includes(stage), `${stage} ran, but only ${allowed} depend on builder`);
    assert.ok(!ran.includes("deps") && !ran.includes("prod-deps"));
    assert.notEqual(result.imageId, cold.imageId);
    console.log(
      `      after editing src/server.js, stages that ran: ${ran.join(", ")} (allowed: ${allowed.join(", ")})`,
    );
  });

  it("an edit only the dev/test side sees reruns builder but leaves the production image as it was", async () => {
    const before = await engine.executor.build(plan, repository);
    fs.appendFileSync(path.join(dir, "test", "server.test.js"), `\n// test edit ${unique()}\n`);
    const after = await engine.executor.build(plan, repository);
    const ran = stagesThatRan(after.steps);
    assert.ok(ran.includes("builder"), `ran: ${ran}`);
    assert.equal(after.imageId, before.imageId, "production image changed after a test-only edit");
    console.log(
      `      after editing test/server.test.js, stages that ran: ${ran.join(", ")}; production image unchanged`,
    );
  });
});
