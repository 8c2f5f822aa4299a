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

/**
 * Where the source is, as a web URL for `org.opencontainers.image.source`: CI's repository URL
 * (GitHub Actions, GitLab), else the `origin` remote. SSH remotes become `https://host/path`;
 * credentials, `.git`, queries and fragments are dropped; local paths and other schemes give nothing.
 */
export function detectSourceUrl(directory: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY)
    return sourceUrl(`${env.GITHUB_SERVER_URL.replace(/\/+$/, "")}/${env.GITHUB_REPOSITORY}`);
  if (env.CI_PROJECT_URL) return sourceUrl(env.CI_PROJECT_URL);
  try {
    const remote = execFileSync("git", ["config", "--get", "remote.origin.url"], {
      cwd: directory,
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
    return sourceUrl(remote);
  } catch {
    return undefined;
  }
}

/** A remote as a web URL without credentials (`git@github.com:org/app.git` → `https://github.com/org/app`). */
export function sourceUrl(remote: string): string | undefined {
  const scp = /^[\w.-]+@([\w.-]+):(?!\/)(.+)$/.exec(remote);
  const text = scp ? `https://${scp[1]}/${scp[2]}` : remote;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!["https:", "http:", "ssh:", "git:"].includes(url.protocol) || !url.hostname) return undefined;
  const scheme = url.protocol === "http:" ? "http" : "https";
  // An SSH or git port is not the web server's; an HTTP(S) one is kept.
  const port = url.port && (url.protocol === "https:" || url.protocol === "http:") ? `:${url.port}` : "";
  const pathname = url.pathname.replace(/\/+$/, "").replace(/\.git$/, "");
  if (!pathname || pathname === "/") return undefined;
  return `${scheme}://${url.hostname}${port}${pathname}`;
}
