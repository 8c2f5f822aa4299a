/**
 * An interrupted publish leaves nothing behind, and the next one completes. A child process
 * stands in for the image resource's provider: it publishes a plan whose build mounts a secret
 * and sleeps, and is stopped mid-build as Pulumi stops a provider's process group (SIGINT to
 * the group, SIGKILL a moment later), or killed outright.
 */
import { strict as assert } from "assert";
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../scripts/lib/local";
import { type Engine, requireEngine } from "./engine";
import { configDirsHolding, runningProcesses } from "./faults";

const SECRET = `interrupt-secret-${Date.now().toString(36)}`;

/** The provider's stand-in: publish the context's plan with a secret; say when the RUN starts. */
const PUBLISHER = `
const { planBuildFromFiles } = require(${JSON.stringify(path.join(REPO_ROOT, "src"))});
const { withInputsHash } = require(${JSON.stringify(path.join(REPO_ROOT, "src", "plan"))});
const { prepareImage, publishImage } = require(${JSON.stringify(path.join(REPO_ROOT, "src", "publish"))});
const { dockerHost } = require(${JSON.stringify(path.join(REPO_ROOT, "src", "host"))});
(async () => {
  const context = process.argv[1];
  const plan = planBuildFromFiles({ context, environment: "dev", gitSha: "0123456789abcdef" });
  const registry = { server: "127.0.0.1:1" };
  const env = { ...process.env };
  const prepared = await prepareImage(plan, registry, { secret: true, warn: () => undefined });
  const references = withInputsHash(plan.tags, prepared.inputs.hash).map((t) => "multistage-tests/interrupted:" + t);
  await publishImage({ plan, references, push: false, registry, secrets: { TOKEN: process.env.TEST_SECRET }, ...prepared }, undefined, dockerHost(plan, {
    env,
    onOutput: (line) => { if (line.includes("sleep")) console.log("RUNNING"); },
  }));
  console.log("PUBLISHED");
})().catch((err) => { console.log("FAILED " + err.message.split("\\n")[0]); process.exit(1); });
`;

describe("Integration: an interrupted publish leaves nothing behind", function () {
  this.timeout(300_000);
  let engine: Engine;
  let context: string;

  before(function () {
    engine = requireEngine(this);
    context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-interrupted-"));
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      `FROM multistage-local/busybox:1 AS dev\nRUN --mount=type=secret,id=TOKEN echo ${Date.now()} && sleep 6 && test -s /run/secrets/TOKEN\n`,
    );
  });
  after(() => context && fs.rmSync(context, { recursive: true, force: true }));

  /** Start the stand-in in a process group of its own (as Pulumi starts a plugin); resolves once its RUN runs. */
  function startPublisher(): Promise<{ child: ChildProcess; output: () => string }> {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", PUBLISHER, context], {
      cwd: REPO_ROOT,
      env: { ...engine.env, TEST_SECRET: SECRET, TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json") },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
    return new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (out.includes("RUNNING")) {
          clearInterval(timer);
          resolve({ child, output: () => out });
        }
      }, 50);
      child.on("exit", () => {
        clearInterval(timer);
        reject(new Error(`the publisher exited before its build ran: ${out}`));
      });
    });
  }

  const exited = (child: ChildProcess): Promise<void> =>
    new Promise((resolve) =>
      child.exitCode !== null || child.signalCode ? resolve() : child.on("exit", () => resolve()),
    );

  /** Processes still running in the process group `pgid`. */
  const groupMembers = (pgid: number): string[] =>
    runningProcesses()
      .filter((p) => p.pgid === pgid)
      .map((p) => `${p.pid} ${p.args}`);
  const leftovers = (pid: number): { dirs: string[]; secretFiles: string[] } => configDirsHolding(SECRET, pid);

  it("stopped as Pulumi stops a provider (SIGINT to its group, SIGKILL after 1 s): no process, no secret file, no credentials left", async () => {
    const { child } = await startPublisher();
    const pid = child.pid as number;
    assert.equal(leftovers(pid).secretFiles.length, 1, "the secret file exists while the build runs");
    process.kill(-pid, "SIGINT");
    await Promise.race([exited(child), new Promise((r) => setTimeout(r, 1000))]);
    if (groupMembers(pid).length) process.kill(-pid, "SIGKILL");
    await exited(child);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(groupMembers(pid), [], "processes of the interrupted publish are still running");
    assert.deepEqual(leftovers(pid), { dirs: [], secretFiles: [] });
  });

  it("killed outright (SIGKILL): what it left is swept by the next process's first executor, and the next publish completes", async () => {
    const { child } = await startPublisher();
    const pid = child.pid as number;
    process.kill(-pid, "SIGKILL");
    await exited(child);
    assert.equal(leftovers(pid).secretFiles.length, 1, "a SIGKILL leaves the secret file (nothing can run)");

    // The next publish is a process of its own, as the next provider is: its first executor sweeps (once per process).
    const next = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", PUBLISHER, context], {
      cwd: REPO_ROOT,
      env: { ...engine.env, TEST_SECRET: SECRET, TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    next.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    next.stderr?.on("data", (c: Buffer) => (out += c.toString()));
    await exited(next);
    assert.match(out, /PUBLISHED/, out);
    assert.deepEqual(leftovers(pid), { dirs: [], secretFiles: [] }, "the killed publish's leftovers were swept");
    assert.deepEqual(leftovers(next.pid as number), { dirs: [], secretFiles: [] });
  });
});
