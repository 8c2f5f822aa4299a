/**
 * Faults for the integration and e2e tests: an HTTP proxy in front of the real registry that
 * answers chosen requests with a status (and `Retry-After`), a delay, or a dropped connection,
 * and a helper that stops and restarts the registry process by its PID.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { REPO_ROOT } from "../../scripts/lib/local";

/** What the proxy does to the requests a rule matches. */
export interface FaultRule {
  /** Matched against `"<METHOD> <path>"`, e.g. `/^HEAD \/v2\/.*\/manifests\/inputs-/`. */
  match: RegExp;
  /** How many matching requests it applies to; then it is spent. */
  times: number;
  /** Answer with this status instead of forwarding. */
  status?: number;
  /** With `status`: the `Retry-After` header (seconds). */
  retryAfter?: number;
  /** Wait this long first (then answer `status`, or forward). */
  delayMs?: number;
  /** Close the connection without an answer. */
  drop?: boolean;
  /** Run when the rule applies (e.g. stop the registry mid-push); then forward. */
  run?: () => void;
}

/** A request that reached the proxy and what happened to it. */
export interface ProxiedRequest {
  line: string;
  fault?: string;
  at: number;
}

export interface FaultProxy {
  /** `127.0.0.1:<port>`: use it as the registry server. */
  server: string;
  /** Every request so far. */
  requests: ProxiedRequest[];
  /** Add rules (first match wins). */
  inject(...rules: FaultRule[]): void;
  /** Drop the rules and the request log. */
  reset(): void;
  close(): Promise<void>;
}

/** A proxy on a free 127.0.0.1 port forwarding to `upstream` (`127.0.0.1:5055`). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [upHost, upPort] = upstream.split(":");
  let rules: FaultRule[] = [];
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    const rule = rules.find((r) => r.times > 0 && r.match.test(line));
    const entry: ProxiedRequest = { line, at: Date.now() };
    requests.push(entry);
    const forward = (): void => {
      const out = http.request(
        { host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on("error", () => res.destroy());
      req.pipe(out);
    };
    if (!rule) return forward();
    rule.times--;
    entry.fault = rule.drop
      ? "drop"
      : rule.status
        ? String(rule.status)
        : rule.delayMs
          ? `delay ${rule.delayMs}`
          : "run";
    const apply = (): void => {
      if (rule.run) rule.run();
      if (rule.drop) {
        req.socket.destroy();
        return;
      }
      if (rule.status) {
        req.resume();
        res.writeHead(rule.status, {
          "Content-Type": "application/json",
          ...(rule.retryAfter !== undefined ? { "Retry-After": String(rule.retryAfter) } : {}),
        });
        res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: `injected ${rule.status}` }] }));
        return;
      }
      forward();
    };
    if (rule.delayMs) setTimeout(apply, rule.delayMs);
    else apply();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server: `127.0.0.1:${port}`,
    requests,
    inject: (...added) => rules.push(...added),
    reset: () => {
      rules = [];
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const STATE = process.env.MULTISTAGE_STATE ?? path.join(REPO_ROOT, ".multistage");

/** The registry process of scripts/docker-up.sh, by the PID it wrote. */
export function registryPid(): number {
  return Number(fs.readFileSync(path.join(STATE, "registry.pid"), "utf8").trim());
}

/** Stop the registry (SIGKILL, by PID: a crash, not a shutdown) and wait until it is gone. */
export function stopRegistry(): void {
  const pid = registryPid();
  process.kill(pid, "SIGKILL");
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    execFileSync("sleep", ["0.05"]);
  }
  throw new Error(`registry ${pid} did not stop`);
}

/** Start the registry again (scripts/docker-up.sh starts only what does not answer). */
export function restartRegistry(): void {
  execFileSync("bash", [path.join(REPO_ROOT, "scripts", "docker-up.sh")], { stdio: "ignore", timeout: 120000 });
}

/** The processes running now (exited ones waiting to be reaped hold nothing, and are left out). */
export function runningProcesses(): Array<{ pid: number; ppid: number; pgid: number; args: string }> {
  return execFileSync("ps", ["-eo", "pid=,ppid=,pgid=,stat=,args="], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && !f[3].startsWith("Z"))
    .map((f) => ({ pid: Number(f[0]), ppid: Number(f[1]), pgid: Number(f[2]), args: f.slice(4).join(" ") }));
}

/**
 * The executors' private Docker configurations (of process `pid`, or of every process) and
 * every file in them that holds `secret`.
 */
export function configDirsHolding(secret: string, pid?: number): { dirs: string[]; secretFiles: string[] } {
  const prefix = `multistage-docker-config-${pid === undefined ? "" : `${pid}-`}`;
  const dirs = fs
    .readdirSync(os.tmpdir())
    .filter((e) => e.startsWith(prefix))
    .map((e) => path.join(os.tmpdir(), e));
  const secretFiles = dirs.flatMap((dir) => {
    try {
      return (fs.readdirSync(dir, { recursive: true }) as string[])
        .map((f) => path.join(dir, f))
        .filter((f) => fs.statSync(f).isFile() && fs.readFileSync(f, "utf8").includes(secret));
    } catch {
      return []; // removed while read: its executor ended
    }
  });
  return { dirs, secretFiles };
}
