/**
 * The secret scan: every place a known secret string shows up outside a Pulumi secret,
 * across the resource inputs and invoke inputs the mocks recorded, the outputs given, and
 * the log lines captured. An empty list means the secret stayed secret or was redacted.
 */
import * as pulumi from "@pulumi/pulumi";
import { value } from "../outputs";
import { invokes, resources, unwrapSecret } from "./mocks";

/** Log lines written through `pulumi.log` while `run` runs, at the levels `pulumi up` shows (not debug). */
export async function captureLogs<T>(run: () => Promise<T> | T): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const log = pulumi.log as unknown as Record<string, (message: string, ...rest: unknown[]) => Promise<void>>;
  const saved = { ...log };
  for (const level of ["info", "warn", "error"]) {
    log[level] = (message: string) => {
      lines.push(`${level}: ${message}`);
      return Promise.resolve();
    };
  }
  try {
    return { result: await run(), lines };
  } finally {
    Object.assign(log, saved);
  }
}

function walk(node: unknown, where: string, secrets: readonly string[], leaks: string[]): void {
  if (unwrapSecret(node).secret) return; // inside a secret: encrypted in the state
  if (typeof node === "string") {
    for (const secret of secrets) if (node.includes(secret)) leaks.push(`${where}: ${node.slice(0, 160)}`);
  } else if (Array.isArray(node)) {
    node.forEach((v, i) => walk(v, `${where}[${i}]`, secrets, leaks));
  } else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`, secrets, leaks);
  }
}

/** Where `secrets` appear in plain text; `outputs` that are Pulumi secrets themselves are fine. */
export async function findLeaks(
  secrets: readonly string[],
  outputs: Record<string, pulumi.Output<unknown>>,
  logs: readonly string[] = [],
): Promise<string[]> {
  const leaks: string[] = [];
  for (const r of resources) walk(r.inputs, `resource ${r.type} ${r.name}`, secrets, leaks);
  for (const i of invokes) walk(i.inputs, `invoke ${i.type}`, secrets, leaks);
  for (const [name, output] of Object.entries(outputs)) {
    if (await pulumi.isSecret(output)) continue;
    walk(await value(output), `output ${name}`, secrets, leaks);
  }
  logs.forEach((line, i) => walk(line, `log line ${i}`, secrets, leaks));
  return leaks;
}
