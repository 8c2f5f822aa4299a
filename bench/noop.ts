/**
 * `npm run bench:noop`: a no-op `pulumi up` of one image against an empty program's `up`, in
 * one run on this machine. Both programs live in a consumer project of their own on the newest
 * `@pulumi/pulumi` (the packed tarball installed), run through that project's Automation API
 * with the Pulumi CLI of scripts/pulumi-tools.sh, against the local registry. Prints the median
 * of RUNS no-op ups of each and their ratio (the goal: at most 1.3), and, as the floor of any
 * image resource served by a Node dynamic provider, a program with one that does nothing.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, localEnv, localRegistry } from "../scripts/lib/local";
import { consumerOn, drive, newestSdk, writeConsumerApp } from "../test/consumer";
import { pulumiEnv } from "../test/e2e/workspace";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  execFileSync("bash", [path.join(REPO_ROOT, "scripts", "docker-up.sh")], { stdio: "inherit" });
  const bin = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "pulumi-tools.sh")], { encoding: "utf8" }).trim();
  const engineEnv = localEnv();
  const registry = localRegistry(engineEnv);
  const consumer = consumerOn(newestSdk());
  const app = writeConsumerApp(consumer, "busybox", "multistage-local/busybox:1");
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-bench-noop-"));
  const env = {
    ...(engineEnv as Record<string, string>),
    ...pulumiEnv(bin, state, "bench-noop"),
    MULTISTAGE_DOCKER_CLI: engineEnv.MULTISTAGE_DOCKER_CLI ?? "docker",
  };
  try {
    const config = {
      context: { value: app },
      repository: { value: `${registry.server}/bench-noop/app-${Date.now().toString(36)}` },
      username: { value: registry.username },
      password: { value: registry.password, secret: true },
    };
    const times = (stack: string, program: string): number[] => {
      const programEnv = { ...env, MULTISTAGE_CONSUMER_PROGRAM: program };
      drive(consumer, programEnv, stack, "up", config); // creates (and builds): not timed
      return Array.from({ length: RUNS }, () => drive(consumer, programEnv, stack, "up").seconds);
    };
    const image = times("dev", "index");
    const dynamic = times("dynamic", "dynamic");
    const empty = times("empty", "empty");
    const ratio = median(image) / median(empty);
    console.log(`no-op pulumi up on @pulumi/pulumi ${consumer.sdk}, ${RUNS} runs each (s):`);
    console.log(
      `  one MultiStageImage (docker-cli): ${image.map((t) => t.toFixed(2)).join(", ")} → median ${median(image).toFixed(2)}`,
    );
    console.log(
      `  one do-nothing dynamic resource:  ${dynamic.map((t) => t.toFixed(2)).join(", ")} → median ${median(dynamic).toFixed(2)}`,
    );
    console.log(
      `  empty program:                    ${empty.map((t) => t.toFixed(2)).join(", ")} → median ${median(empty).toFixed(2)}`,
    );
    console.log(
      `  ratio ${ratio.toFixed(2)} (goal ≤ 1.30); a dynamic resource that does nothing alone: ${(median(dynamic) / median(empty)).toFixed(2)}`,
    );
    for (const stack of ["dev", "dynamic", "empty"]) drive(consumer, env, stack, "remove");
  } finally {
    fs.rmSync(state, { recursive: true, force: true });
  }
}

main();
