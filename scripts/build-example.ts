/**
 * Build an example for one or more environments and push it to the local registry:
 *   npx ts-node scripts/build-example.ts node-service dev production
 * Needs the engine and registry from `bash scripts/docker-up.sh`.
 */
import { formatDiagnostic } from "../src";
import { EngineExecutor } from "./lib/engine-executor";
import { EXAMPLES, type ExampleName, localEnv, localPlan, localRegistry, releaseLocally } from "./lib/local";

async function main(): Promise<void> {
  const [name, ...environments] = process.argv.slice(2);
  if (!EXAMPLES.includes(name as ExampleName)) {
    throw new Error(`usage: build-example.ts <${EXAMPLES.join("|")}> [environment…] (default: dev production)`);
  }
  const env = localEnv();
  const credentials = localRegistry(env);
  const executor = new EngineExecutor({ env });
  const sizes: Record<string, number> = {};
  try {
    for (const environment of environments.length ? environments : ["dev", "production"]) {
      const plan = localPlan(name as ExampleName, environment);
      for (const w of plan.warnings) console.log(`warning: ${formatDiagnostic(w)}`);
      console.log(
        `\n== ${name} / ${environment}: target ${plan.targetStage}; stages ${plan.stages.join(" → ")}` +
          (plan.skippedStages.length ? `; skipped ${plan.skippedStages.join(", ")}` : ""),
      );
      const release = await releaseLocally(executor, plan, `multistage-examples/${name}`, credentials);
      await executor.pull(release.imageUri);
      const image = await executor.inspect(release.imageUri);
      sizes[environment] = image.Size;
      const ran = release.steps.filter((s) => !s.cached).length;
      console.log(
        `built in ${(release.durationMs / 1000).toFixed(1)}s (${ran} steps ran, ${release.steps.length - ran} cached)`,
      );
      console.log(`tags:      ${release.references.join(", ")}`);
      console.log(`digest:    ${release.digest} (registry: ${release.registryDigest})`);
      console.log(`imageUri:  ${release.imageUri}`);
      console.log(`size:      ${(image.Size / 1e6).toFixed(1)} MB`);
      if (release.digest !== release.registryDigest) throw new Error("pushed digest differs from the registry's");
    }
    if (sizes.dev && sizes.production) {
      console.log(`\nproduction is ${(sizes.dev / sizes.production).toFixed(2)}x smaller than dev`);
    }
  } finally {
    executor.dispose();
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
