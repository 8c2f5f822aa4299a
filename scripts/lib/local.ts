/**
 * Build an example's plan for one environment with the offline base images, and
 * run it against the local engine and registry started by scripts/docker-up.sh.
 * Shared by the quick start (build-example.ts) and the integration tests.
 */
import * as fs from "fs";
import * as path from "path";
import { type BuildPlan, type BuildPlanOptions, planBuildFromFiles } from "../../src";
import { type BuildResult, type DockerExecutor, type PushResult, type RegistryCredentials } from "../../src/executor";
import { manifestDigest } from "../../src/registry";
import { detectGitSha } from "../../src/context";
import type { ExampleSettings } from "../../examples/types";

export const REPO_ROOT = path.join(__dirname, "..", "..");
export const EXAMPLES = ["node-nginx", "node-service", "static-binary", "go-service", "jvm-service", "php-laravel"] as const;
export type ExampleName = (typeof EXAMPLES)[number];

/** The environment docker-up.sh wrote (`.multistage/env`), merged over `process.env`. */
export function localEnv(state = process.env.MULTISTAGE_STATE ?? path.join(REPO_ROOT, ".multistage")): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const file = path.join(state, "env");
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
      if (m && env[m[1]] === undefined) env[m[1]] = m[2];
    }
  }
  return env;
}

/** Credentials of the local registry. */
export function localRegistry(env: NodeJS.ProcessEnv): RegistryCredentials {
  const server = env.MULTISTAGE_REGISTRY;
  if (!server) throw new Error("no local registry: run `bash scripts/docker-up.sh` (it writes .multistage/env)");
  return {
    server,
    username: env.MULTISTAGE_REGISTRY_USER ?? "multistage",
    password: env.MULTISTAGE_REGISTRY_PASSWORD ?? "",
  };
}

export function exampleSettings(name: ExampleName): ExampleSettings {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(REPO_ROOT, "examples", name, "settings")) as { settings: ExampleSettings }).settings;
}

/** The example's plan for `environment`, with base images swapped for the offline ones. */
export function localPlan(
  name: ExampleName,
  environment: string,
  extraBuildArgs: Record<string, string> = {},
  options: Omit<Partial<BuildPlanOptions>, "buildArgs"> = {},
): BuildPlan {
  const { args, localBaseImages } = exampleSettings(name);
  return planBuildFromFiles({
    ...args,
    ...options,
    environment,
    gitSha: detectGitSha(args.context),
    buildArgs: { ...localBaseImages, ...(args.buildArgs ?? {}), ...extraBuildArgs },
  });
}

export interface LocalRelease extends BuildResult, PushResult {
  plan: BuildPlan;
  repository: string;
  /** Digest the registry reports for the first tag (HEAD of the manifest). */
  registryDigest: string;
}

/** Build, push with auth, and check the digest against the registry. */
export async function releaseLocally(
  executor: DockerExecutor,
  plan: BuildPlan,
  repositoryPath: string,
  credentials: RegistryCredentials,
): Promise<LocalRelease> {
  const repository = `${credentials.server}/${repositoryPath}`;
  // Built and pushed in two steps, so the quick start can report the build's steps and time.
  const built = await executor.build(plan, repository);
  await executor.login(credentials);
  const pushed = await executor.push(built.references);
  const registryDigest = await manifestDigest(repositoryPath, plan.tags[0], credentials);
  return { ...built, ...pushed, plan, repository, registryDigest };
}
