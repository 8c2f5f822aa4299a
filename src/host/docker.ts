/**
 * The real host of the publish pipeline, assembled by whoever runs it (the `docker-cli` image
 * resource's provider, `multistage build`): the Docker CLI executor, or Podman's or Buildah's,
 * the registry client with the machine's own logins, cosign and syft, and what resolves base
 * images. publish/ is given these; it makes none of them.
 */
import {
  type DockerCliOptions,
  DockerExecutor,
  OciEngineExecutor,
  SupplyChain,
  machineLogin,
  parseStepLine,
  resolveImageDigests,
} from "../executor";
import { findManifest, getManifest, imageSize, tagManifest } from "../registry";
import type { BuildPlan } from "../plan";
import type { PublishHost, RegistryClient, ResolveImages } from "../publish";

/** How publishing runs: the executor's options, and where its one-line statuses go. */
export interface PublishOptions extends DockerCliOptions {
  /**
   * One line per step, instead of the builder's stream: `resolving …`, `building stage x of n
   * (name)`, `pushing`, `tagging …`. They name no repository, tag or value: any may be a secret.
   */
  onStatus?: (line: string) => void;
  /** Aborted (the engine's Cancel, on Ctrl-C): the pipeline stops before its next step. */
  signal?: AbortSignal;
}

/**
 * Turn the builder's plain progress into one status per stage as it starts (`building stage 2
 * of 3 (builder)`) and one when the push starts; every other line is dropped.
 */
function stageProgress(plan: BuildPlan, status: (line: string) => void): (line: string) => void {
  const seen = new Set<string>();
  let pushing = false;
  return (line) => {
    const step = parseStepLine(line);
    if (step) {
      // A single-stage build names no stage: it is the target.
      const stage = step.stage ?? plan.targetStage;
      if (seen.has(stage)) return;
      seen.add(stage);
      const at = plan.stages.indexOf(stage);
      status(at >= 0 ? `building stage ${at + 1} of ${plan.stages.length} (${stage})` : `building stage ${stage}`);
    } else if (!pushing && /^The push refers to repository|^#\d+ pushing layers/.test(line)) {
      pushing = true;
      status("pushing");
    }
  };
}

/**
 * The real host: a Docker CLI executor, or Podman's or Buildah's for a plan with `engine` (its
 * output turned into per-stage statuses), the registry client, and cosign and syft.
 */
export function dockerHost(plan: BuildPlan, options: PublishOptions): PublishHost {
  const status = options.onStatus ?? ((): void => undefined);
  const progress = stageProgress(plan, status);
  const executorOptions = {
    ...options,
    onOutput: (line: string) => {
      options.onOutput?.(line);
      progress(line);
    },
  };
  // A daemonless engine where the plan names one; else the Docker CLI.
  const builder = plan.engine
    ? new OciEngineExecutor(plan.engine === "buildah" ? "buildah" : "podman", executorOptions)
    : new DockerExecutor(executorOptions);
  const supplyChain = new SupplyChain({ env: options.env, dockerConfig: builder.configDir });
  return {
    builder,
    registry: registryClient(options.env),
    status,
    supplyChain,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** The registry's API, with this machine's own logins (Docker's config.json, its helpers, REGISTRY_AUTH_FILE) read from `env`. */
export function registryClient(env: NodeJS.ProcessEnv = process.env): RegistryClient {
  return {
    findManifest,
    getManifest,
    tagManifest,
    imageSize,
    machineLogin: (server) => machineLogin(server, env),
  };
}

/** Base images resolved as the build sees them: the Docker engine's local images (through the CLI with `env`) when `local`, else the registries. */
export function baseImageResolver(env: NodeJS.ProcessEnv = process.env): ResolveImages {
  return async (images, { local, registries }) => {
    const engine = local ? new DockerExecutor({ env }) : undefined;
    try {
      return await resolveImageDigests(images, { engine, registries });
    } finally {
      engine?.dispose();
    }
  };
}
