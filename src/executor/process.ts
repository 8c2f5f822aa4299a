/** The one process runner of the executor: spawn a CLI, collect its output, fail with its tail. */
import { type ChildProcess, spawn } from "child_process";
import * as path from "path";

/**
 * What the executor was doing when a command failed: callers decide on it (a push's failure is
 * said as a registry step's, a build's is located in the Dockerfile), never on the command's text.
 */
export type ExecutorStep =
  | "build"
  | "test gate"
  | "push"
  | "pull"
  | "login"
  | "tag"
  | "inspect"
  | "builder"
  | "sign"
  | "verify"
  | "attest"
  | "sbom"
  | "release gate"
  | "other";

/** A Docker command that failed; the message carries the command (never a password) and the output's tail. */
export class DockerCommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
    readonly step: ExecutorStep = "other",
  ) {
    // The last lines that say something: not `docker push`'s per-layer progress and countdowns.
    const tail = output
      .trim()
      .split("\n")
      .filter((line) => !PROGRESS_LINE.test(line))
      .slice(-15)
      .join("\n");
    super(`\`${command}\` failed (exit ${exitCode}):\n${tail}`);
    this.name = "DockerCommandError";
  }

  /** The same failure, as part of `step` (a build run as the test gate). */
  during(step: ExecutorStep): DockerCommandError {
    return new DockerCommandError(this.command, this.exitCode, this.output, step);
  }
}

/** A per-layer progress line of `docker push`/`pull` (`3f4e: Retrying in 5 seconds`, `3f4e: Pushing [==>  ]`). */
const PROGRESS_LINE =
  /^[0-9a-f]{12}: (Retrying in \d+ seconds?|Pushing|Preparing|Waiting|Layer already exists|Pulling fs layer|Downloading|Extracting|Verifying Checksum|Download complete)/;

/** Commands running now, and what to remove should this process be told to stop. */
const running = new Set<ChildProcess>();
const cleanups = new Set<() => void>();

/**
 * Remove `cleanup`'s files should this process be interrupted (SIGINT, SIGTERM) before it
 * unregisters, whatever it is doing then (a command, a registry request, nothing): Pulumi stops
 * a provider's process group with SIGINT, then SIGKILL a moment later. Returns what unregisters it.
 */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  watchSignals();
  return () => {
    cleanups.delete(cleanup);
    if (running.size === 0 && cleanups.size === 0) unwatchSignals();
  };
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** Stop the commands, remove what was registered, then stop as the signal would have (its default). */
function interrupted(signal: NodeJS.Signals): void {
  for (const child of running) child.kill(signal);
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: the next run sweeps what is left (DockerExecutor's stale config directories).
    }
  }
  unwatchSignals();
  process.kill(process.pid, signal);
}

function watchSignals(): void {
  for (const signal of SIGNALS) if (!process.listeners(signal).includes(interrupted)) process.on(signal, interrupted);
}

function unwatchSignals(): void {
  for (const signal of SIGNALS) process.removeListener(signal, interrupted);
}

/** How to run one command. */
export interface RunOptions {
  /** Written to its stdin (a password, never an argument). */
  stdin?: string;
  /** Do not forward its lines to `onOutput`. */
  quiet?: boolean;
  /** Resolve with the output even when it fails. */
  allowFailure?: boolean;
  /** Resolve with stdout alone. */
  stdoutOnly?: boolean;
  /** What the command is for, carried by its failure. @default "other" */
  step?: ExecutorStep;
  /** Its working directory. @default this process's */
  cwd?: string;
  /** Stop it (SIGTERM, then SIGKILL 5 s later) after this long: a failure saying so. */
  timeoutMs?: number;
}

/**
 * Run `binary` with `args` in `env`; resolves with its output (stdout then stderr), rejects
 * with `DockerCommandError` naming the command as `label` (or the binary's name) shows it.
 * A command that exits before reading its stdin is a failure like any other, not an `EPIPE`.
 */
export function runProcess(
  binary: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: RunOptions & { label?: string; onOutput?: (line: string) => void } = {},
): Promise<string> {
  const shown = `${options.label ?? path.basename(binary)} ${args.join(" ")}`;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env, stdio: ["pipe", "pipe", "pipe"], cwd: options.cwd });
    running.add(child);
    watchSignals();
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    if (options.timeoutMs !== undefined)
      timers.push(
        setTimeout(() => {
          timedOut = true;
          child.kill("SIGTERM");
          timers.push(setTimeout(() => child.kill("SIGKILL"), 5000));
        }, options.timeoutMs),
      );
    child.on("close", () => {
      timers.forEach(clearTimeout);
      running.delete(child);
      if (running.size === 0 && cleanups.size === 0) unwatchSignals();
    });
    let stdout = "";
    let stderr = "";
    const forward = (chunk: Buffer): void => {
      if (!options.quiet && options.onOutput)
        for (const line of chunk.toString().split("\n")) if (line) options.onOutput(line);
    };
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      forward(c);
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      forward(c);
    });
    // Its exit code says what went wrong; a closed stdin only repeats it.
    child.stdin.on("error", () => undefined);
    child.on("error", (err) => reject(new DockerCommandError(shown, null, String(err), options.step)));
    child.on("close", (code) => {
      if (timedOut) {
        const seconds = Math.round((options.timeoutMs ?? 0) / 1000);
        reject(new DockerCommandError(shown, code, `${stdout}${stderr}\n(stopped after ${seconds} s)`, options.step));
        return;
      }
      if (code === 0 || options.allowFailure) resolve(options.stdoutOnly ? stdout : stdout + stderr);
      else reject(new DockerCommandError(shown, code, stdout + stderr, options.step));
    });
    child.stdin.end(options.stdin ?? "");
  });
}
