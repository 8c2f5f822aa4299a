/**
 * A Git repository served on 127.0.0.1 by `git daemon` (the git:// protocol), for tests of Git
 * build contexts: a real fetch over the network, as a remote repository is fetched.
 */
import { type ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export interface GitServer {
  /** `git://127.0.0.1:<port>/app.git` */
  readonly url: string;
  /** The working copy behind it: write, then `commit`. */
  readonly work: string;
  /** Commit everything in the working copy on `main`; returns the commit. */
  commit(message: string): string;
  tag(name: string): void;
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Start `git daemon` over a new repository holding `files`, committed on `main`. */
export async function startGitServer(files: Record<string, string>): Promise<GitServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-git-server-"));
  const work = path.join(root, "app.git");
  const git = (...args: string[]): string =>
    execFileSync("git", ["-C", work, ...args], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    })
      .toString()
      .trim();
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    fs.writeFileSync(path.join(work, file), text);
  }
  const commit = (message: string): string => {
    git("add", "-A");
    git("commit", "-q", "-m", message);
    return git("rev-parse", "HEAD");
  };
  commit("first");
  const port = await freePort();
  const daemon: ChildProcess = spawn(
    "git",
    ["daemon", "--reuseaddr", "--export-all", `--base-path=${root}`, "--listen=127.0.0.1", `--port=${port}`, root],
    { stdio: "ignore" },
  );
  // Until it answers.
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync("git", ["ls-remote", `git://127.0.0.1:${port}/app.git`], { stdio: "ignore" });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: `git://127.0.0.1:${port}/app.git`,
    work,
    commit,
    tag: (name) => void git("tag", name),
    stop: () => {
      daemon.kill();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
