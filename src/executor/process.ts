/** The one process runner of the executor: spawn a CLI, collect its output, fail with its tail. */
import { type ChildProcess, spawn } from "child_process";
import * as path from "path";
import { redactCredentials } from "../plan";

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
      .map((line) =>
        line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}… (${line.length - MAX_LINE} more characters)` : line,
      )
      .join("\n");
    super(`\`${command}\` failed (exit ${exitCode}):\n${tail}`);
    this.name = "DockerCommandError";
  }

  /** The same failure, as part of `step` (a build run as the test gate). */
  during(step: ExecutorStep): DockerCommandError {
    return new DockerCommandError(this.command, this.exitCode, this.output, step);
  }
}

/** The most of one output line a failure quotes. */
const MAX_LINE = 400;

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
  // Each command leads a process group of its own: the signal reaches what it started too.
  for (const child of running) signalGroup(child, signal);
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
  /**
   * Stop it after this long: its whole process group gets SIGTERM, then SIGKILL `KILL_GRACE_MS`
   * later, and it fails saying the bound and the time it really took.
   */
  timeoutMs?: number;
  /**
   * Values its output must never show (a password, a key): replaced in its failure and in the
   * lines forwarded, together with every credential `redactCredentials` knows. (What it resolves
   * with is the caller's data, as it was printed.)
   */
  secrets?: readonly string[];
}

/** How long a stopped command's group has between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2_000;
/** How long its output may stay open after it exits (a child it left holding the pipe): then the group is ended. */
const DRAIN_MS = 500;
/** The most of a command's output kept (its tail): a command that prints 10 MB is not held, or quoted, whole. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

/** `text` with at most `max` characters, keeping its end (where a failure says why), and how much was dropped. */
function keepTail(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(text.length - max);
  return `(${text.length - max} earlier characters left out)\n${cut.slice(cut.indexOf("\n") + 1)}`;
}

/** Signal a command's whole process group (it leads one: spawned detached); a group already gone is fine. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Gone already.
    }
  }
}

/**
 * Run `binary` with `args` in `env`; resolves with its output (stdout then stderr), rejects
 * with `DockerCommandError` naming the command as `label` (or the binary's name) shows it.
 * A command that exits before reading its stdin is a failure like any other, not an `EPIPE`.
 * It runs in a process group of its own: at its bound, on an interrupt, or when it exits and
 * leaves children holding its output open, the whole group is ended, so nothing it started
 * outlives it or keeps the caller waiting. Its output is kept to `MAX_OUTPUT_BYTES` (the tail)
 * and shown without credentials (`secrets`, and every shape `redactCredentials` knows).
 */
export function runProcess(
  binary: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: RunOptions & { label?: string; onOutput?: (line: string) => void } = {},
): Promise<string> {
  const secrets = options.secrets ?? [];
  const clean = (text: string): string => redactCredentials(text, secrets);
  const shown = clean(`${options.label ?? path.basename(binary)} ${args.join(" ")}`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env, stdio: ["pipe", "pipe", "pipe"], cwd: options.cwd, detached: true });
    running.add(child);
    watchSignals();
    const bound = boundRun(child, options.timeoutMs);
    const output = collectOutput(child, options.quiet ? undefined : options.onOutput, clean);
    // Its exit code says what went wrong; a closed stdin only repeats it.
    child.stdin?.on("error", () => undefined);
    let settled = false;
    const finish = (code: number | null): void => {
      if (settled) return;
      settled = true;
      bound.clear();
      release(child);
      // What it resolves with is data for the caller (a helper's JSON); what a failure shows is cleaned.
      const { out, err } = output();
      if (bound.timedOut()) {
        const took = ((Date.now() - started) / 1000).toFixed(1);
        const said = `\n(stopped at its bound of ${(options.timeoutMs ?? 0) / 1000} s, with everything it started; it ran ${took} s)`;
        reject(new DockerCommandError(shown, code, clean(`${out}${err}`) + said, options.step));
      } else if (code === 0 || options.allowFailure) resolve(options.stdoutOnly ? out : out + err);
      else reject(new DockerCommandError(shown, code, clean(out + err), options.step));
    };
    child.on("error", (err) => {
      if (settled) return;
      settled = true;
      bound.clear();
      running.delete(child);
      reject(new DockerCommandError(shown, null, clean(spawnFailure(err, args)), options.step));
    });
    // Settled once it has exited and its output is read: at once when the pipes close, else
    // (a child it left holds them) after a moment, ending what it left behind.
    child.on("exit", (code) => {
      const drained = setTimeout(() => {
        signalGroup(child, "SIGKILL");
        finish(code);
      }, DRAIN_MS);
      child.on("close", () => {
        clearTimeout(drained);
        finish(code);
      });
    });
    child.stdin?.end(options.stdin ?? "");
  });
}

/** A run's bound: at `timeoutMs`, SIGTERM to its group, SIGKILL a moment later. */
function boundRun(child: ChildProcess, timeoutMs: number | undefined): { timedOut: () => boolean; clear: () => void } {
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  if (timeoutMs !== undefined)
    timers.push(
      setTimeout(() => {
        timedOut = true;
        signalGroup(child, "SIGTERM");
        timers.push(setTimeout(() => signalGroup(child, "SIGKILL"), KILL_GRACE_MS));
      }, timeoutMs),
    );
  return { timedOut: () => timedOut, clear: () => timers.forEach(clearTimeout) };
}

/** What a run printed (the last MAX_OUTPUT_BYTES of each stream), each line passed to `onOutput` cleaned as it comes. */
function collectOutput(
  child: ChildProcess,
  onOutput: ((line: string) => void) | undefined,
  clean: (text: string) => string,
): () => { out: string; err: string } {
  let stdout = "";
  let stderr = "";
  const keep = (kept: string, chunk: Buffer): string => {
    const text = kept + chunk.toString();
    return text.length > 2 * MAX_OUTPUT_BYTES ? text.slice(text.length - MAX_OUTPUT_BYTES) : text;
  };
  const forward = (chunk: Buffer): void => {
    if (onOutput) for (const line of chunk.toString().split("\n")) if (line) onOutput(clean(line));
  };
  child.stdout?.on("data", (c: Buffer) => {
    stdout = keep(stdout, c);
    forward(c);
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr = keep(stderr, c);
    forward(c);
  });
  return () => ({ out: keepTail(stdout, MAX_OUTPUT_BYTES), err: keepTail(stderr, MAX_OUTPUT_BYTES) });
}

/** A finished run let go: what it started and left running (`cmd &`) ends with it, its pipes closed. */
function release(child: ChildProcess): void {
  signalGroup(child, "SIGKILL");
  running.delete(child);
  if (running.size === 0 && cleanups.size === 0) unwatchSignals();
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** Why a command could not start; E2BIG (the arguments passed Linux's limit: 128 KiB one, about 2 MiB in all) said, not a bare errno. */
function spawnFailure(err: Error, args: readonly string[]): string {
  return /E2BIG/.test(String(err))
    ? `${String(err)}: its arguments (${args.reduce((n, a) => n + a.length, 0)} characters, the longest ${Math.max(0, ...args.map((a) => a.length))}) are over what Linux lets one command carry; shorten the labels, annotations or build args that make them.`
    : String(err);
}
