/** The commit the source is at, for tags: CI variables first, then `git rev-parse HEAD`. */
import { execFileSync } from "child_process";
import { isCommit } from "../plan";

/** Environment variables CI systems put the commit in, read in this order. */
export const GIT_SHA_VARIABLES = [
  "MULTISTAGE_GIT_SHA",
  "GITHUB_SHA",
  "CI_COMMIT_SHA",
  "BUILDKITE_COMMIT",
  "CIRCLE_SHA1",
  "GIT_COMMIT",
];

export function detectGitSha(directory: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of GIT_SHA_VARIABLES) {
    const value = env[name];
    if (value && isCommit(value)) return value.toLowerCase();
  }
  try {
    const sha = execFileSync("git", ["rev-parse", "HEAD"], { cwd: directory, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    return /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}
