/** The commit the source is at, for tags: CI variables first, then `git rev-parse HEAD`. */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findCredential, isCommit } from "../plan";

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
  // A program with many images in one checkout asks Git once (a remote does not move mid-run).
  if (!REMOTES.has(directory)) REMOTES.set(directory, originUrl(directory));
  return REMOTES.get(directory);
}

/** The `origin` remote's URL of each directory asked, as a source URL. */
const REMOTES = new Map<string, string | undefined>();

function originUrl(directory: string): string | undefined {
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

/** A build context in a Git repository, as buildx writes it: `<url>#<ref>:<dir>`. */
export interface GitContext {
  /** The repository's URL, without the fragment. */
  readonly url: string;
  /** Branch, tag or commit. @default the remote's HEAD */
  readonly ref?: string;
  /** Folder in the repository. @default its root */
  readonly dir?: string;
}

/** Whether `context` names a Git repository (buildx's forms) rather than a local folder. */
export function isGitContext(context: string): boolean {
  return /^(git:\/\/|ssh:\/\/|git@[\w.-]+:|https?:\/\/\S+\.git(#|$))/.test(context);
}

/**
 * Whether a Git context's URL holds a password or token: `https://user:token@host/…`, a token as
 * the user alone (`https://<token>@host/…`, `git://<token>@…`), a query token (the one rule,
 * `findCredential`); an SSH user (`ssh://git@host/…`, `git@host:…`) is a name, not a credential.
 */
export function hasUrlCredentials(context: string): boolean {
  return findCredential(context) !== undefined;
}

/** `https://host/org/app.git#v1.2:services/api` → its URL, ref and folder. */
export function parseGitContext(context: string): GitContext {
  const hash = context.indexOf("#");
  const url = hash < 0 ? context : context.slice(0, hash);
  const fragment = hash < 0 ? "" : context.slice(hash + 1);
  const [, ref = "", dir = ""] = /^([^:]*)(?::(.*))?$/.exec(fragment) ?? [];
  return { url, ...(ref ? { ref } : {}), ...(dir ? { dir: dir.replace(/^\/+|\/+$/g, "") } : {}) };
}

/**
 * Check out a Git context at the commit its ref names now, into a folder of its own under
 * `root` (one per repository and commit, reused), so the closure, the inputs hash and every back
 * end read it as they read a local folder. Uses the machine's own Git credentials (helper, SSH
 * agent). Returns the folder to build (the fragment's `dir` in it) and the commit.
 */
export function checkoutGitContext(
  context: GitContext,
  root = path.join(os.tmpdir(), `pulumi-multistage-${os.userInfo().uid}`, "git"),
): { directory: string; commit: string } {
  // Never a prompt for a login on a terminal nobody watches (pulumi up would wait): Git fails instead.
  const env = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", SSH_ASKPASS: "" };
  const git = (args: string[], cwd?: string): string =>
    execFileSync("git", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 })
      .toString()
      .trim();
  // Private to this user: a checkout may hold what only its credentials could read.
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(root), 0o700);
  fs.chmodSync(root, 0o700);
  const ref = context.ref ?? "HEAD";
  let commit = /^[0-9a-f]{40}$/.test(ref) ? ref : "";
  if (!commit) {
    const lines = git(["ls-remote", context.url, ref, `refs/tags/${ref}^{}`])
      .split("\n")
      .filter(Boolean);
    // An annotated tag: the commit it points at (`^{}`), else the ref's own object.
    const peeled = lines.find((l) => l.endsWith("^{}")) ?? lines[0];
    commit = peeled?.split(/\s+/)[0] ?? "";
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`${context.url} has no ref "${ref}"`);
  }
  const key = crypto.createHash("sha256").update(context.url).digest("hex").slice(0, 16);
  const checkout = path.join(root, `${key}-${commit.slice(0, 16)}`);
  if (!fs.existsSync(path.join(checkout, ".multistage-complete"))) {
    fs.rmSync(checkout, { recursive: true, force: true });
    fs.mkdirSync(checkout, { recursive: true, mode: 0o700 });
    git(["init", "-q"], checkout);
    // As origin, so the source label names the repository (credentials are refused before this).
    git(["remote", "add", "origin", context.url], checkout);
    git(["fetch", "-q", "--depth", "1", "origin", ref], checkout);
    git(["checkout", "-q", "FETCH_HEAD"], checkout);
    const fetched = git(["rev-parse", "HEAD"], checkout);
    if (fetched !== commit)
      throw new Error(`${context.url}#${ref} moved while it was fetched (${commit} → ${fetched}); run again`);
    fs.writeFileSync(path.join(checkout, ".multistage-complete"), commit);
  }
  return { directory: context.dir ? path.join(checkout, context.dir) : checkout, commit };
}

/** The commit's time in seconds since the epoch (`SOURCE_DATE_EPOCH`), when Git in `directory` knows it. */
export function commitTime(directory: string, commit: string): number | undefined {
  try {
    const time = execFileSync("git", ["show", "-s", "--format=%ct", commit], {
      cwd: directory,
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
    return /^\d+$/.test(time) ? Number(time) : undefined;
  } catch {
    return undefined;
  }
}

/** `SOURCE_DATE_EPOCH` for a reproducible build: the commit's time, or 0 when there is none to read. */
export function sourceDateEpoch(directory: string, commit: string | undefined): number {
  return (commit && commitTime(directory, commit)) || 0;
}
