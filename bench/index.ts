/**
 * Benchmarks (numbers, not pass/fail):
 *   1. the Dockerfile model: parse + resolve every target of every seed fixture;
 *   2. real builds (when the engine from scripts/docker-up.sh answers): cold and
 *      warm build time and image size per example and environment.
 * Run: npm run bench  (MULTISTAGE_BENCH_MODEL_ONLY=1 skips the builds)
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseDockerfile, resolveTarget, stageNames } from "../src/dockerfile";
import { DockerExecutor } from "../src/executor";
import { EXAMPLES, localEnv, localPlan } from "../scripts/lib/local";

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

async function benchBuilds(): Promise<void> {
  const env = localEnv();
  try {
    execFileSync(env.MULTISTAGE_DOCKER_CLI ?? "docker", ["version"], { env, stdio: "ignore" });
  } catch {
    console.log("\nBuilds: skipped (no engine; run `bash scripts/docker-up.sh` first)");
    return;
  }
  const executor = new DockerExecutor({ env });
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

async function main(): Promise<void> {
  benchModel();
  if (!process.env.MULTISTAGE_BENCH_MODEL_ONLY) await benchBuilds();
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
