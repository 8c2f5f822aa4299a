/**
 * The one process runner: every command in a process group of its own, ended with what it
 * started at its bound (the time it really ran said), never waited on for a child that holds
 * its output, its output bounded and shown without credentials.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockerCommandError } from "../../../src/executor";
import { runProcess } from "../../../src/executor/process";

/** Whether a process with this PID is alive (a zombie waiting for its reaper is not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** A file the command writes its background child's PID to. */
function pidFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "multistage-proc-")), "pid");
}

describe("runProcess: process groups, bounds and what its output may show", function () {
  this.timeout(20_000);

  it("a command over its bound whose child holds the output is stopped at the bound with that child; the error says the time it ran", async () => {
    const file = pidFile();
    const started = Date.now();
    const err = await runProcess("/bin/sh", ["-c", `sleep 30 & echo $! > ${file}; echo scanning; wait`], process.env, {
      timeoutMs: 1000,
      step: "release gate",
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    assert.ok(err instanceof DockerCommandError, String(err));
    assert.ok(took < 5000, `settled after ${took} ms, not at its bound`);
    assert.match(err.message, /stopped at its bound of 1 s, with everything it started; it ran 1\.\d s/);
    assert.match(err.message, /scanning/);
    const child = Number(fs.readFileSync(file, "utf8"));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alive(child), false, "the background sleep outlived the command");
  });

  it("a command that passes but leaves a child holding its output resolves at once, and the child is ended", async () => {
    const file = pidFile();
    const started = Date.now();
    const out = await runProcess("/bin/sh", ["-c", `sleep 30 & echo $! > ${file}; echo clean`], process.env, {
      timeoutMs: 10_000,
    });
    assert.equal(out.trim(), "clean");
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alive(Number(fs.readFileSync(file, "utf8"))), false);
  });

  it("10 MB of output: the failure quotes a bounded tail, not megabytes", async () => {
    const err = await runProcess(
      "/bin/sh",
      ["-c", "head -c 10000000 /dev/zero | tr '\\0' x; echo; echo the-reason; exit 3"],
      process.env,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DockerCommandError);
    assert.ok(err.message.length < 10_000, `${err.message.length} characters`);
    assert.match(err.message, /the-reason/);
    assert.ok(err.output.length <= 1024 * 1024 + 100, `kept ${err.output.length} characters`);
  });

  it("a failure and the lines forwarded show no credential: the ones it was told of, and every known shape", async () => {
    const lines: string[] = [];
    const err = await runProcess(
      "/bin/sh",
      [
        "-c",
        "echo 'login ci:topsecret-1 https://tok3nvalue@git.example.com/x'; echo 'Authorization: Bearer abcdefghijkl' >&2; exit 1",
      ],
      process.env,
      { secrets: ["topsecret-1"], onOutput: (l) => lines.push(l) },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DockerCommandError);
    for (const shown of [err.message, ...lines]) {
      assert.ok(!/topsecret-1|tok3nvalue|abcdefghijkl/.test(shown), shown);
    }
  });
});
