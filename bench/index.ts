/**
 * Benchmarks (numbers, not pass/fail):
 *   1. the Dockerfile model: parse + resolve every target of every seed fixture;
 *   2. parse + plan of generated Dockerfiles of 50, 1000 and 2000 stages (growth should be linear);
 *   3. real builds (when the engine from scripts/docker-up.sh answers): cold and
 *      warm build time and image size per example and environment;
 *   4. the registry cache (when the BuildKit builder of scripts/buildkit-up.sh answers): per
 *      example's production target, a cold build on an empty builder and registry, then the
 *      builder's cache removed and a rebuild that reads the registry cache; their ratio
 *      (goal: at most 20 %).
 * Run: npm run bench  (MULTISTAGE_BENCH_MODEL_ONLY=1 skips the builds)
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseDockerfile, resolveTarget, stageNames } from "../src/dockerfile";
import { planBuild } from "../src/plan";
import { EngineExecutor } from "../scripts/lib/engine-executor";
import { EXAMPLES, REPO_ROOT, localEnv, localPlan } from "../scripts/lib/local";

function benchModel(): void {
  const dir = path.join(__dirname, "..", "test", "fixtures", "seeds");
  const files = fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")] as const);
  const run = (): number => {
    let resolutions = 0;
    for (const [name, text] of files) {
      const { model } = parseDockerfile(text, name);
      for (const target of [undefined, ...stageNames(model)]) {
        resolveTarget(model, { target });
        resolutions++;
      }
    }
    return resolutions;
  };
  for (let i = 0; i < 50; i++) run(); // warm up
  const rounds = 500;
  const started = process.hrtime.bigint();
  let resolutions = 0;
  for (let i = 0; i < rounds; i++) resolutions += run();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log("Dockerfile model (parse + resolve every target of the 10 seed Dockerfiles)");
  console.log(`  ${rounds} rounds, ${resolutions} resolutions in ${ms.toFixed(0)} ms`);
  console.log(
    `  ${((ms * 1000) / (rounds * files.length)).toFixed(1)} µs per Dockerfile parse+resolve-all, ${((ms * 1000) / resolutions).toFixed(1)} µs per target`,
  );
}

/**
 * A Dockerfile of `stages` stages shaped like real ones: global args used on FROM lines,
 * stage args, RUN/COPY lines, `COPY --from` the previous stage and `FROM` an earlier one.
 */
export function generatedDockerfile(stages: number): string {
  const lines = ["ARG BASE_TAG=3.19", "ARG APP_VERSION=1.0.0"];
  for (let i = 0; i < stages; i++) {
    const from = i > 0 && i % 10 === 0 ? `stage-${i - 5}` : "alpine:${BASE_TAG}";
    lines.push(`FROM ${from} AS stage-${i}`, "ARG APP_VERSION", `ARG LEVEL_${i}=${i}`);
    lines.push(`RUN echo "$APP_VERSION $LEVEL_${i}" > /level-${i}`);
    if (i > 0) lines.push(`COPY --from=stage-${i - 1} /level-${i - 1} /levels/`);
    lines.push(`COPY src/${i}.txt /src/`);
  }
  return lines.join("\n") + "\n";
}

/** The median of `rounds` timed runs of `run`, in ms, after one run to warm up. */
function medianMs(run: () => void, rounds: number): number {
  run();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

function benchScaling(): void {
  console.log(
    "\nGenerated Dockerfiles: parse alone (goal: 1000 stages in at most 50 ms), and parse + plan (target: the final stage, whose closure is every stage)",
  );
  const parse = new Map<number, number>();
  const plan = new Map<number, number>();
  for (const stages of [50, 1000, 2000]) {
    const text = generatedDockerfile(stages);
    const rounds = stages <= 50 ? 50 : 9;
    parse.set(
      stages,
      medianMs(() => parseDockerfile(text, "Dockerfile"), rounds),
    );
    plan.set(
      stages,
      medianMs(() => planBuild(parseDockerfile(text, "Dockerfile"), { context: ".", environment: "staging" }), rounds),
    );
    console.log(
      `  ${String(stages).padStart(5)} stages: parse ${(parse.get(stages) as number).toFixed(1).padStart(6)} ms, parse + plan ${(plan.get(stages) as number).toFixed(1).padStart(6)} ms (medians of ${rounds})`,
    );
  }
  const ratio = (m: Map<number, number>): string => ((m.get(2000) as number) / (m.get(1000) as number)).toFixed(2);
  console.log(`  2000 / 1000 stages: parse ${ratio(parse)}x, parse + plan ${ratio(plan)}x (linear growth is 2x)`);
}

async function benchBuilds(): Promise<void> {
  const env = localEnv();
  try {
    execFileSync(env.MULTISTAGE_DOCKER_CLI ?? "docker", ["version"], { env, stdio: "ignore" });
  } catch {
    console.log("\nBuilds: skipped (no engine; run `bash scripts/docker-up.sh` first)");
    return;
  }
  const executor = new EngineExecutor({ env });
  console.log("\nBuilds (offline base images; cold = --no-cache, warm = nothing changed)");
  console.log("  example        env         target      cold s   warm s   cold/warm   size MB");
  try {
    for (const name of EXAMPLES) {
      const sizes: number[] = [];
      for (const environment of ["dev", "production"]) {
        const plan = { ...localPlan(name, environment), tags: [`bench-${environment}`] };
        const repository = `multistage-bench/${name}`;
        const cold = await executor.build(plan, repository, { noCache: true });
        const warm = await executor.build(plan, repository);
        const size = (await executor.inspect(cold.imageId)).Size;
        sizes.push(size);
        console.log(
          `  ${name.padEnd(14)} ${environment.padEnd(11)} ${plan.targetStage.padEnd(11)} ${(cold.durationMs / 1000).toFixed(2).padStart(6)}   ${(warm.durationMs / 1000).toFixed(2).padStart(6)}   ${(cold.durationMs / warm.durationMs).toFixed(1).padStart(8)}x   ${(size / 1e6).toFixed(1).padStart(7)}`,
        );
      }
      console.log(`  ${name}: production is ${(sizes[0] / sizes[1]).toFixed(2)}x smaller than dev`);
    }
  } finally {
    executor.dispose();
  }
}

async function benchRegistryCache(): Promise<void> {
  const env = localEnv();
  const builder = env.MULTISTAGE_BUILDER;
  const registry = env.MULTISTAGE_REGISTRY;
  if (!builder || !registry) {
    console.log("\nRegistry cache: skipped (no builder; run `bash scripts/buildkit-up.sh` after docker-up.sh)");
    return;
  }
  const executor = new EngineExecutor({ env });
  const run = Date.now().toString(36);
  console.log(
    "\nRegistry cache (BuildKit builder; cold = empty builder and registry; rebuild = builder cache removed)",
  );
  console.log("  example        target      cold s   from registry cache s   ratio");
  let cold = 0;
  let warm = 0;
  try {
    await executor.login({
      server: registry,
      username: env.MULTISTAGE_REGISTRY_USER ?? "multistage",
      password: env.MULTISTAGE_REGISTRY_PASSWORD ?? "",
    });
    for (const name of EXAMPLES) {
      const plan = { ...localPlan(name, "production", {}, { builder, testStage: false }), tags: ["bench"] };
      const repository = `${registry}/multistage-bench/cache-${name}-${run}`;
      await executor.pruneBuilder(builder);
      const first = await executor.buildWithBuilder(plan, repository, { push: true });
      await executor.pruneBuilder(builder);
      const second = await executor.buildWithBuilder(plan, repository, { push: true });
      cold += first.durationMs;
      warm += second.durationMs;
      console.log(
        `  ${name.padEnd(14)} ${plan.targetStage.padEnd(11)} ${(first.durationMs / 1000).toFixed(2).padStart(6)}   ${(second.durationMs / 1000).toFixed(2).padStart(21)}   ${((100 * second.durationMs) / first.durationMs).toFixed(0).padStart(4)} %`,
      );
    }
    console.log(
      `  all examples: cold ${(cold / 1000).toFixed(1)} s, from the registry cache ${(warm / 1000).toFixed(1)} s: ${((100 * warm) / cold).toFixed(0)} % (goal ≤ 20 %)`,
    );
  } finally {
    executor.dispose();
  }
}

/** 50 components under mocks from the compiled lib/, in a process of their own (goal: at most 1 s). */
function benchComponents(): void {
  execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
  const runs = Array.from({ length: 3 }, () => {
    const out = execFileSync(process.execPath, [path.join(__dirname, "components", "fifty.js")], { encoding: "utf8" });
    return JSON.parse(out.trim().split("\n").pop() as string) as { loadMs: number; componentsMs: number };
  });
  const median = runs.map((r) => r.componentsMs).sort((a, b) => a - b)[1];
  console.log(
    `\n50 MultiStageImage components under mocks, from lib/ (goal: at most 1000 ms): ${median.toFixed(0)} ms (median of 3; loading the package ${runs[1].loadMs.toFixed(0)} ms more)`,
  );
}

async function main(): Promise<void> {
  benchModel();
  benchScaling();
  benchComponents();
  if (!process.env.MULTISTAGE_BENCH_MODEL_ONLY) {
    await benchBuilds();
    await benchRegistryCache();
  }
}

if (require.main === module)
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
