/**
 * Integration-test access to the real engine and registry: starts them with
 * scripts/docker-up.sh when they do not answer, or says why they cannot.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import type { Context } from "mocha";
import type { RegistryCredentials } from "../../src/executor";
import { EngineExecutor } from "../../scripts/lib/engine-executor";
import { REPO_ROOT, localEnv, localRegistry } from "../../scripts/lib/local";

export interface Engine {
  executor: EngineExecutor;
  env: NodeJS.ProcessEnv;
  registry: RegistryCredentials;
}

let engine: Engine | undefined;
let failure: string | undefined;

function answers(env: NodeJS.ProcessEnv): boolean {
  try {
    execFileSync(env.MULTISTAGE_DOCKER_CLI ?? "docker", ["version"], { env, stdio: "ignore", timeout: 15000 });
    return true;
  } catch {
    return false;
  }
}

/** The engine, started if needed; `undefined` (with `skipReason`) when it cannot start here. */
export function getEngine(): Engine | undefined {
  if (engine || failure) return engine;
  let env = localEnv();
  if (!env.MULTISTAGE_REGISTRY || !answers(env)) {
    try {
      execFileSync("bash", [path.join(REPO_ROOT, "scripts", "docker-up.sh")], {
        stdio: ["ignore", "ignore", "pipe"],
        timeout: 600000,
      });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split("\n").slice(-3).join(" | ");
      failure = `the Docker engine could not be started by scripts/docker-up.sh: ${stderr || String(err)}`;
      return undefined;
    }
    env = localEnv();
  }
  if (!answers(env)) {
    failure = `the Docker engine at ${env.DOCKER_HOST ?? "(default socket)"} does not answer`;
    return undefined;
  }
  engine = { executor: new EngineExecutor({ env }), env, registry: localRegistry(env) };
  return engine;
}

/** Use in a `before` hook: returns the engine, or skips the suite with the reason. */
export function requireEngine(context: Context): Engine {
  const e = getEngine();
  if (!e) {
    const reason = failure ?? "unknown";
    console.log(`    SKIPPED (integration): ${reason}`);
    if (context.test?.parent) Object.assign(context.test.parent, { skipReason: reason });
    context.skip();
  }
  return e as Engine;
}

/** The standalone BuildKit daemon of scripts/buildkit-up.sh, registered as a buildx builder. */
export interface Builder {
  /** The buildx builder's name (`multistage`). */
  name: string;
  /**
   * A builder of two nodes (`multistage-nodes`): the same daemon as the linux/amd64 node, a
   * second one as the linux/arm64 node, each at its own socket.
   */
  nodes: { name: string; sockets: Record<string, string> };
  /** Its endpoint (`unix://…/buildkitd.sock`). */
  endpoint: string;
  /** The same daemon on `tcp://127.0.0.1:…` with mutual TLS, and the files a client needs. */
  tls: { endpoint: string; caCert: string; cert: string; key: string };
  /** An executor whose environment knows the builder (`MULTISTAGE_BUILDX`, `BUILDX_CONFIG`). */
  executor: EngineExecutor;
  /** That environment. */
  env: NodeJS.ProcessEnv;
}

let builder: Builder | undefined;
let builderFailure: string | undefined;

/** Use in a `before` hook after `requireEngine`: the builder, started if needed, or the suite skipped with the reason. */
export function requireBuilder(context: Context): Builder {
  if (!builder && !builderFailure) {
    try {
      execFileSync("bash", [path.join(REPO_ROOT, "scripts", "buildkit-up.sh")], {
        stdio: ["ignore", "ignore", "pipe"],
        timeout: 1_800_000,
      });
      const env = localEnv();
      const tlsDir = env.MULTISTAGE_BUILDKIT_TLS_DIR;
      if (
        !env.MULTISTAGE_BUILDER ||
        !env.MULTISTAGE_BUILDER_NODES ||
        !env.MULTISTAGE_BUILDKIT_ADDR ||
        !env.MULTISTAGE_BUILDKIT_TLS_ADDR ||
        !tlsDir
      )
        throw new Error("buildkit-up.sh wrote no builder");
      builder = {
        name: env.MULTISTAGE_BUILDER,
        nodes: {
          name: env.MULTISTAGE_BUILDER_NODES,
          sockets: {
            "nodes-amd64": env.MULTISTAGE_BUILDKIT_ADDR,
            "nodes-arm64": env.MULTISTAGE_BUILDKIT_ADDR.replace(/buildkitd\.sock$/, "buildkitd-2.sock"),
          },
        },
        endpoint: env.MULTISTAGE_BUILDKIT_ADDR,
        tls: {
          endpoint: env.MULTISTAGE_BUILDKIT_TLS_ADDR,
          caCert: path.join(tlsDir, "ca.pem"),
          cert: path.join(tlsDir, "client.pem"),
          key: path.join(tlsDir, "client-key.pem"),
        },
        executor: new EngineExecutor({ env }),
        env,
      };
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split("\n").slice(-3).join(" | ");
      builderFailure = `the BuildKit daemon could not be started by scripts/buildkit-up.sh: ${stderr || String(err)}`;
    }
  }
  if (!builder) {
    console.log(`    SKIPPED (integration): ${builderFailure}`);
    if (context.test?.parent) Object.assign(context.test.parent, { skipReason: builderFailure });
    context.skip();
  }
  return builder as Builder;
}

/** What a setup script made ready, or why it could not: once per process, by script. */
const readied = new Map<string, { value?: unknown; failure?: string }>();

/**
 * Run `scripts/<script>` once (it is idempotent), then read what it wrote to the state's env with
 * `read` (which throws when it wrote nothing); or skip the suite with why (`what` could not be
 * made ready), as `SKIPPED (integration): …`.
 */
function readyByScript<T>(
  context: Context,
  script: string,
  what: string,
  timeout: number,
  read: (env: NodeJS.ProcessEnv) => T,
): T {
  let ready = readied.get(script);
  if (!ready) {
    try {
      execFileSync("bash", [path.join(REPO_ROOT, "scripts", script)], { stdio: ["ignore", "ignore", "pipe"], timeout });
      ready = { value: read(localEnv()) };
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split("\n").slice(-3).join(" | ");
      ready = { failure: `${what} could not be made ready by scripts/${script}: ${stderr || String(err)}` };
    }
    readied.set(script, ready);
  }
  if (ready.failure !== undefined) {
    console.log(`    SKIPPED (integration): ${ready.failure}`);
    if (context.test?.parent) Object.assign(context.test.parent, { skipReason: ready.failure });
    context.skip();
  }
  return ready.value as T;
}

/** cosign and syft, built from their Go modules by scripts/supply-chain-tools.sh. */
export interface SupplyChainTools {
  cosign: string;
  syft: string;
}

/** Use in a `before` hook: cosign and syft, built if needed, or the suite skipped with the reason. */
export function requireSupplyChain(context: Context): SupplyChainTools {
  return readyByScript(context, "supply-chain-tools.sh", "cosign and syft", 1_800_000, (env) => {
    if (!env.MULTISTAGE_COSIGN || !env.MULTISTAGE_SYFT) throw new Error("supply-chain-tools.sh wrote no tools");
    return { cosign: env.MULTISTAGE_COSIGN, syft: env.MULTISTAGE_SYFT };
  });
}

/** Podman and Buildah, made ready by scripts/podman-up.sh (vfs storage, docker.io names sent to the local registry). */
export interface DaemonlessEngines {
  /** Their environment: the storage and registries configuration, the binaries. */
  env: NodeJS.ProcessEnv;
}

/** Use in a `before` hook after `requireBuilder` (which pushes the base images): Podman and Buildah, or the suite skipped. */
export function requireDaemonless(context: Context): DaemonlessEngines {
  return readyByScript(context, "podman-up.sh", "Podman", 900_000, (env) => {
    if (!env.MULTISTAGE_PODMAN || !env.CONTAINERS_STORAGE_CONF) throw new Error("podman-up.sh wrote no engine");
    return { env };
  });
}
