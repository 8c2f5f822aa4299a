/**
 * The publish pipeline: the one owner of how an image gets into a registry. No Pulumi SDK:
 * the `docker-cli` image resource runs it in its provider's process, `multistage build`
 * in the CLI's.
 */
import {
  DockerCommandError,
  type DockerCliOptions,
  DockerExecutor,
  type ImageSize,
  type PushResult,
  type RegistryAccess,
  type RegistryCredentials,
  RegistryError,
  findManifest,
  imageSize,
  parseStepLine,
  tagManifest,
} from "../executor";
import { explainBuildFailure } from "./failure";
import {
  type BuildPlan,
  type InputsRecord,
  parseImageReference,
  rebuildReason,
  registryHost,
  repositoryOf,
} from "../plan";

/** What an image is published from: the plan and what was read for it; resolved values. */
export interface PublishRequest {
  plan: BuildPlan;
  references: string[];
  push: boolean;
  /** The registry, and its credentials unless it is read and written anonymously. */
  registry: RegistryAccess;
  /** Build secrets by id; a secret input, never kept in the outputs. */
  secrets?: Record<string, string>;
  /** The target's inputs (hashes only): what decides a rebuild and explains it. */
  inputs: InputsRecord;
  /** The Dockerfile reduced to the target's closure, with its `<Dockerfile>.dockerignore` beside it. */
  closureDockerfile: string;
  /** Set when this environment promotes another's image: its name, inputs hash and repository. */
  promote?: { from: string; hash: string; repository?: string };
}

/** What publishing reports: no credentials, no build-arg values. */
export interface PublishResult {
  digest: string;
  imageUri: string;
  references: string[];
  /** The inputs of the image in the registry, for the next update's reasons. */
  inputs: InputsRecord;
  /** Why this image was built, or where it was found instead. */
  rebuildReason: string;
  /** True when the registry already held the image and nothing was built. */
  reused: boolean;
  /** Its size in the registry and largest layers (when pushed with credentials). */
  size?: ImageSize;
}

/** The registry steps of publishing, as errors name them. */
export type RegistryStep = "lookup" | "push" | "confirm" | "measure" | "tag" | "promote" | "refresh";

/**
 * `run()`, its failure rethrown naming the step, the registry and the fix: a registry error by
 * its status (the registry's own reason is in its message), anything else as it is.
 */
export async function registryStep<T>(step: RegistryStep, server: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    throw stepFailure(step, server, err);
  }
}

/** The one message of a failed registry step: the step, the registry, what it said, and the fix its kind of failure has. */
function stepFailure(step: RegistryStep, server: string, err: RegistryError): RegistryError {
  const refused = err.status === 401 || err.status === 403;
  const fix =
    step === "refresh" && refused
      ? `The registry refused the credentials of this image's last update (an ECR token lasts 12 hours). The state is unchanged: refresh again after an update of the image, or check that those credentials may still pull.`
      : refused
        ? `The registry refused the credentials (registry.username and registry.password; an ECR token lasts 12 hours, and the component gets a new one on every run).`
        : err.retryable
          ? `The registry is failing, overloaded or unreachable, and answered the same after retries: try again once ${server} answers. ${step === "refresh" ? "The state is unchanged." : "Nothing was recorded: the state keeps the previous image."}`
          : `Check the repository and its permissions in ${server}.`;
  return new RegistryError(`${step} in ${server} failed: ${err.message} ${fix}`, err.status, {
    registry: server,
    step,
  });
}

/** How publishing runs: the executor's options, and where its one-line statuses go. */
export interface PublishOptions extends DockerCliOptions {
  /**
   * One line per step, instead of the builder's stream: `resolving …`, `building stage x of n
   * (name)`, `pushing`, `tagging …`. They name no repository, tag or value: any may be a secret.
   */
  onStatus?: (line: string) => void;
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

/** The tag that names an image by its inputs: `inputs-<sha256 hex>`. */
export function inputsTag(hash: string): string {
  return `inputs-${hash.replace(/^sha256:/, "")}`;
}

/** The registry's API, as the pipeline uses it (the executor's registry client is the real one). */
export interface RegistryClient {
  findManifest: typeof findManifest;
  tagManifest: typeof tagManifest;
  imageSize: typeof imageSize;
}

/** What builds, pushes and moves images (the Docker CLI executor is the real one). */
export type Builder = Pick<DockerExecutor, "login" | "testGate" | "buildImage" | "pull" | "tag" | "push" | "dispose">;

/**
 * What the pipeline talks to, given to it rather than made by it: the builder, the registry,
 * where its one-line statuses go, and what stops it between steps. `dockerHost` is the real
 * one; tests drive the pipeline with their own.
 */
export interface PublishHost {
  readonly builder: Builder;
  readonly registry: RegistryClient;
  readonly status: (line: string) => void;
  /** Aborted: the pipeline stops before its next step, and says which. */
  readonly signal?: AbortSignal;
}

/** The real host: a Docker CLI executor (its output turned into per-stage statuses) and the registry client. */
export function dockerHost(plan: BuildPlan, options: PublishOptions): PublishHost {
  const status = options.onStatus ?? ((): void => undefined);
  const progress = stageProgress(plan, status);
  const builder = new DockerExecutor({
    ...options,
    onOutput: (line) => {
      options.onOutput?.(line);
      progress(line);
    },
  });
  return { builder, registry: { findManifest, tagManifest, imageSize }, status };
}

/** The steps of publishing, in order; a cancellation names the one it stopped before. */
export type PublishStep = "promote" | "lookup" | "gate" | "build" | "confirm" | "measure" | "release";

/** What every step of one publish shares. */
interface Publish {
  readonly inputs: PublishRequest;
  readonly host: PublishHost;
  /** `<registry>/<path>`, and the path alone (what the registry API takes). */
  readonly repository: string;
  readonly repositoryPath: string;
  /** The release tags. */
  readonly tags: string[];
  /** `inputs-<hash>`: the tag that names the image by its inputs. */
  readonly byInputs: string;
  readonly server: string;
  readonly credentials?: RegistryCredentials;
  /** The credentials, when the registry's API can be used (a push with credentials to that registry). */
  readonly api?: RegistryCredentials;
}

/** Stop before `step` when the host's signal says so; nothing of `step` or after it has run. */
function checkpoint(publish: Publish, step: PublishStep): void {
  if (publish.host.signal?.aborted)
    throw new Error(
      `publishing was cancelled before its ${step} step: nothing from that step on ran. The state keeps the previous image.`,
    );
}

/**
 * Publish one planned image, in named steps: find it by its inputs in the registry (registry
 * first), else run the test gate (the Dockerfile as written), build the closure Dockerfile
 * and push it under `inputs-<hash>`, confirm the registry holds it, measure it against the size
 * budget, and give it the release tags; or promote another environment's image. `previous` is
 * the inputs of the image the caller had before (the state's record), for the reason. The image
 * resource's provider and `multistage build` both run it, with `dockerHost` unless given another.
 */
export async function publishImage(
  inputs: PublishRequest,
  previous: InputsRecord | undefined,
  options: PublishOptions,
  host: PublishHost = dockerHost(inputs.plan, options),
): Promise<PublishResult> {
  try {
    const repository = repositoryOf(inputs.references[0]);
    const { username, password, server } = inputs.registry;
    const credentials =
      username !== undefined && password !== undefined
        ? ({ server, username, password } satisfies RegistryCredentials)
        : undefined;
    const publish: Publish = {
      inputs,
      host,
      repository,
      repositoryPath: parseImageReference(repository).repository,
      tags: inputs.references.map((r) => parseImageReference(r).tag ?? ""),
      byInputs: inputsTag(inputs.inputs.hash),
      server,
      credentials,
      // With the registry's API at hand, the image is pushed under `inputs-<hash>` alone, then
      // measured, then given the release tags: an image over its size budget gets none.
      api: inputs.push && credentials && repository.startsWith(`${server}/`) ? credentials : undefined,
    };
    if (inputs.promote) return await promoteStep(publish);
    const found = await lookupStep(publish);
    if (found)
      return await releaseStep(
        publish,
        found,
        true,
        `reused: the registry holds ${publish.byInputs} (same inputs); nothing built`,
      );
    const reason = rebuildReason(previous, inputs.inputs).summary;
    await gateStep(publish);
    const built = await buildStep(publish);
    if (built.nodes)
      host.status(
        `built across the builder's nodes: ${Object.entries(built.nodes)
          .map(([platform, node]) => `${platform} on ${node}`)
          .join(", ")}`,
      );
    if (!inputs.push) return outputs(publish, "", built.imageUri, false, reason);
    if (!publish.api) return outputs(publish, built.digest, built.imageUri, false, reason);
    await confirmStep(publish, built.digest);
    return await releaseStep(publish, built.digest, false, reason);
  } finally {
    host.builder.dispose();
  }
}

function outputs(
  publish: Publish,
  digest: string,
  imageUri: string,
  reused: boolean,
  reason: string,
  size?: ImageSize,
): PublishResult {
  return {
    digest,
    imageUri,
    references: publish.inputs.references,
    inputs: publish.inputs.inputs,
    rebuildReason: reason,
    reused,
    ...(size ? { size } : {}),
  };
}

/** Registry first: the digest of an image pushed before with these inputs, if the registry holds one. */
async function lookupStep(publish: Publish): Promise<string | undefined> {
  const { api, host, server } = publish;
  if (!api) return undefined;
  checkpoint(publish, "lookup");
  host.status("resolving its inputs in the registry");
  return registryStep("lookup", server, () =>
    host.registry.findManifest(publish.repositoryPath, publish.byInputs, api),
  );
}

/**
 * The test gate reads the Dockerfile as written: the test stage (and the files it copies) is
 * not in the target's closure. It runs whenever the image is built, and a failing test fails
 * the update before anything is built or pushed. The login comes first: a builder reads and
 * writes the registry cache (the gate too) and BuildKit pushes with it; `docker push` uses it too.
 */
async function gateStep(publish: Publish): Promise<void> {
  const { inputs, host, credentials } = publish;
  checkpoint(publish, "gate");
  if (credentials && (inputs.plan.builder || inputs.push)) await host.builder.login(credentials);
  await host.builder.testGate(inputs.plan, publish.repository, { secrets: inputs.secrets }).catch((err: unknown) => {
    throw explainBuildFailure(err, inputs.plan, inputs.plan.dockerfile, "test gate");
  });
}

/** Build the closure Dockerfile and push it: under `inputs-<hash>` alone when the registry's API will tag it. */
async function buildStep(publish: Publish): Promise<PushResult> {
  const { inputs, host, api, tags, byInputs } = publish;
  checkpoint(publish, "build");
  const plan: BuildPlan = {
    ...inputs.plan,
    dockerfile: inputs.closureDockerfile,
    tags: api ? [byInputs] : inputs.push ? [...tags, byInputs] : tags,
  };
  return host.builder
    .buildImage(plan, publish.repository, { secrets: inputs.secrets, push: inputs.push })
    .catch((err: unknown) => {
      // The engine's `docker push` failed (after its own retries): said as the other registry steps are.
      if (err instanceof DockerCommandError && err.step === "push")
        throw stepFailure("push", publish.server, new RegistryError(err.message, 0));
      throw explainBuildFailure(err, inputs.plan, inputs.closureDockerfile, "build");
    });
}

/** No output names a digest the registry does not hold: ask it before reporting the push. */
async function confirmStep(publish: Publish, digest: string): Promise<void> {
  const { host, server, api } = publish;
  checkpoint(publish, "confirm");
  const held = await registryStep("confirm", server, () =>
    host.registry.findManifest(publish.repositoryPath, digest, api as RegistryCredentials),
  );
  if (held !== digest)
    throw new Error(
      `confirm in ${server} failed: the push reported ${digest}, but ${publish.repository} does not hold it. Run pulumi up again; the state keeps the previous image.`,
    );
}

/** Measure the image against its size budget, then give it the release tags; over budget, it gets none. */
async function releaseStep(publish: Publish, digest: string, reused: boolean, reason: string): Promise<PublishResult> {
  const { api, host, server, repository, tags } = publish;
  if (!api) return outputs(publish, digest, `${repository}@${digest}`, reused, reason);
  checkpoint(publish, "measure");
  const size = await registryStep("measure", server, () =>
    host.registry.imageSize(publish.repositoryPath, digest, api),
  );
  const budget = publish.inputs.plan.sizeBudget;
  if (budget && size.bytes > budget.bytes) {
    const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
    const layers = size.largestLayers.map((l) => `${mb(l.bytes)} ${JSON.stringify(l.createdBy.slice(0, 80))}`);
    throw new Error(
      `${budget.property}: the image is ${mb(size.bytes)}${size.platform ? ` (${size.platform})` : ""}, over its budget of ${mb(budget.bytes)}; its largest layers: ${layers.join(", ")}. It stays in ${repository} as ${publish.byInputs} only, without this environment's tags. Make those layers smaller, or raise the budget.`,
    );
  }
  checkpoint(publish, "release");
  host.status(`tagging (${tags.length} ${tags.length === 1 ? "tag" : "tags"})`);
  await registryStep("tag", server, () => host.registry.tagManifest(publish.repositoryPath, digest, tags, api));
  return outputs(publish, digest, `${repository}@${digest}`, reused, reason, size);
}

/**
 * Give this environment's tags to the image another environment pushed with its inputs:
 * in the same repository, by tagging its manifest; in another, by pulling it and pushing it.
 */
async function promoteStep(publish: Publish): Promise<PublishResult> {
  const { inputs, host, repository, tags, credentials } = publish;
  const {
    from,
    hash,
    repository: sourceRepository = repository,
  } = inputs.promote as NonNullable<PublishRequest["promote"]>;
  checkpoint(publish, "promote");
  if (!credentials) throw new Error(`promoting from ${from} needs the registry's credentials`);
  const byInputs = inputsTag(hash);
  // The host and path as a reference names them: `acme/api` is Docker Hub's, not a host "acme".
  const server = registryHost(sourceRepository);
  const sourcePath = parseImageReference(sourceRepository).repository;
  const found = await registryStep("promote", server, () =>
    host.registry.findManifest(sourcePath, byInputs, { ...credentials, server }),
  );
  if (!found) {
    throw new Error(
      `environment "${from}" has no image with its current inputs in ${sourceRepository} (${byInputs}): run pulumi up on "${from}" first (it pushes that tag), or remove promoteFrom.`,
    );
  }
  const source = `${sourceRepository}@${found}`;
  const reason = `promoted from ${from}: ${source} (${byInputs}); nothing built`;
  if (sourceRepository === repository) {
    await registryStep("promote", credentials.server, () =>
      host.registry.tagManifest(publish.repositoryPath, found, tags, credentials),
    );
    return outputs(publish, found, `${repository}@${found}`, true, reason);
  }
  // Another repository (or registry): copy it with the same credentials.
  await host.builder.login({ ...credentials, server });
  if (server !== credentials.server) await host.builder.login(credentials);
  await host.builder.pull(source);
  const references = tags.map((t) => `${repository}:${t}`);
  for (const reference of references) await host.builder.tag(source, reference);
  const pushed = await host.builder.push(references);
  return outputs(publish, pushed.digest, `${repository}@${pushed.digest}`, true, reason);
}
