/**
 * What every e2e suite needs: the Pulumi CLI built by scripts/pulumi-tools.sh (or the suite
 * skipped with the reason), the built package, and a workspace directory outside the repo
 * with a file backend, whose environment the program and the dynamic provider share.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Context } from "mocha";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import type { MultiStageImageArgs } from "../../src";
import { REPO_ROOT } from "../../scripts/lib/local";
import type { Engine } from "../integration/engine";

export interface E2eWorkspace {
  /** Temporary root: state (file backend), PULUMI_HOME and the workspace. */
  root: string;
  /** The workspace directory (Pulumi starts the dynamic provider there). */
  workDir: string;
  /** The environment of the stacks, also set on this process (the inline program runs here). */
  env: Record<string, string>;
}

/**
 * The directory of the Pulumi CLI built by scripts/pulumi-tools.sh (cached; CI builds it before
 * the tests), or why it cannot be had.
 */
export function pulumiTools(): { bin: string } | { reason: string } {
  try {
    const bin = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "pulumi-tools.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 1_800_000,
    }).trim();
    return { bin };
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? err)
      .trim()
      .split("\n")
      .slice(-3)
      .join(" | ");
    return { reason: `the Pulumi CLI could not be built by scripts/pulumi-tools.sh: ${stderr}` };
  }
}

/** In a `before` hook: the Pulumi CLI's directory, or the suite skipped with the reason (`SKIPPED (<suite>)`). */
export function requirePulumiTools(context: Context, suite: string): string {
  const tools = pulumiTools();
  if ("bin" in tools) return tools.bin;
  console.log(`    SKIPPED (${suite}): ${tools.reason}`);
  if (context.test?.parent) Object.assign(context.test.parent, { skipReason: tools.reason });
  context.skip();
}

/** The environment of a stack run with a file backend under `root`: the CLI first on PATH, no plugin downloads. */
export function pulumiEnv(bin: string, root: string, passphrase: string): Record<string, string> {
  return {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    PULUMI_HOME: path.join(root, "home"),
    PULUMI_BACKEND_URL: `file://${root}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

/** In a `before` hook: the tools, the built package and a fresh workspace; or the suite skipped with the reason. */
export function requireE2eWorkspace(
  context: Context,
  engine: Engine,
  prefix: string,
  extraEnv: Record<string, string> = {},
): E2eWorkspace {
  const bin = requirePulumiTools(context, "e2e");
  // Programs import the built package (lib/), as users do; the docker-cli provider loads lib/executor.
  if (!fs.existsSync(path.join(REPO_ROOT, "lib", "index.js")))
    execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `multistage-${prefix}-`));
  const workDir = path.join(root, "workspace");
  fs.mkdirSync(workDir);
  // Pulumi starts the dynamic provider in the workspace; it finds @pulumi/pulumi through this link.
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(workDir, "node_modules"));
  const env: Record<string, string> = {
    ...pulumiEnv(bin, root, `${prefix}-passphrase`),
    DOCKER_HOST: engine.env.DOCKER_HOST ?? "",
    MULTISTAGE_DOCKER_CLI: engine.env.MULTISTAGE_DOCKER_CLI ?? "docker",
    ...extraEnv,
  };
  // The dynamic provider and the program both read these from this process's environment.
  Object.assign(process.env, env);
  return { root, workDir, env };
}

/**
 * A stack of an inline program publishing one `MultiStageImage` ("app", from the built lib/)
 * with `args`, to `<local registry>/<repositoryPath>` with its credentials from the stack's
 * config (the password a secret). Outputs: imageUri, digest, tags, rebuildReason.
 */
export async function localRegistryStack(
  workspace: E2eWorkspace,
  engine: Engine,
  names: { stackName: string; projectName: string; repositoryPath: string },
  args: Omit<MultiStageImageArgs, "registry">,
): Promise<Stack> {
  const stack = await LocalWorkspace.createOrSelectStack(
    {
      stackName: names.stackName,
      projectName: names.projectName,
      program: async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { MultiStageImage } = require(path.join(REPO_ROOT, "lib")) as typeof import("../../src");
        const pulumi = await import("@pulumi/pulumi");
        const config = new pulumi.Config();
        const image = new MultiStageImage("app", {
          ...args,
          registry: {
            repository: config.require("repository"),
            username: config.require("username"),
            password: config.requireSecret("password"),
          },
        });
        return { imageUri: image.imageUri, digest: image.digest, tags: image.tags, rebuildReason: image.rebuildReason };
      },
    },
    { workDir: workspace.workDir, envVars: workspace.env },
  );
  await stack.setAllConfig({
    repository: { value: `${engine.registry.server}/${names.repositoryPath}` },
    username: { value: engine.registry.username },
    password: { value: engine.registry.password, secret: true },
  });
  return stack;
}
