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
  type RegistryCredentials,
  RegistryError,
  findManifest,
  imageSize,
  parseStepLine,
  tagManifest,
} from "../executor";
import { explainBuildFailure } from "./failure";
import { type BuildPlan, type InputsRecord, parseImageReference, rebuildReason, registryHost } from "../plan";

/** What an image is published from: the plan and what was read for it; resolved values. */
export interface PublishRequest {
  plan: BuildPlan;
  references: string[];
  push: boolean;
  registry: { server: string; username?: string; password?: string };
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

/**
 * Publish one planned image, in named steps: find it by its inputs in the registry (registry
 * first), else run the test gate (the Dockerfile as written), build the closure Dockerfile
 * and push it under `inputs-<hash>`, measure it against the size budget, and give it the
 * release tags; or promote another environment's image. `previous` is the inputs of the image
 * the caller had before (the state's record), for the reason. The image resource's provider
 * and `multistage build` both run it.
 */
export async function publishImage(
  inputs: PublishRequest,
  previous: InputsRecord | undefined,
  options: PublishOptions,
): Promise<PublishResult> {
  const status = options.onStatus ?? ((): void => undefined);
  const progress = stageProgress(inputs.plan, status);
  const executor = new DockerExecutor({
    ...options,
    onOutput: (line) => {
      options.onOutput?.(line);
      progress(line);
    },
  });
  try {
    const repository = inputs.references[0].slice(0, inputs.references[0].lastIndexOf(":"));
    const tags = inputs.references.map((r) => r.slice(r.lastIndexOf(":") + 1));
    const byInputs = inputsTag(inputs.inputs.hash);
    const { username, password, server } = inputs.registry;
    const credentials =
      username !== undefined && password !== undefined
        ? ({ server, username, password } satisfies RegistryCredentials)
        : undefined;
    const login = async (): Promise<void> => {
      if (credentials) await executor.login(credentials);
    };
    const outputs = (
      digest: string,
      imageUri: string,
      reused: boolean,
      reason: string,
      size?: ImageSize,
    ): PublishResult => ({
      digest,
      imageUri,
      references: inputs.references,
      inputs: inputs.inputs,
      rebuildReason: reason,
      reused,
      ...(size ? { size } : {}),
    });
    // With the registry's API at hand, the image is pushed under `inputs-<hash>` alone, then
    // measured, then given the release tags: an image over its size budget gets none.
    const api = inputs.push && credentials && repository.startsWith(`${server}/`) ? credentials : undefined;
    const repositoryPath = parseImageReference(repository).repository;
    const release = async (digest: string, reused: boolean, reason: string): Promise<PublishResult> => {
      if (!api) return outputs(digest, `${repository}@${digest}`, reused, reason);
      const size = await registryStep("measure", server, () => imageSize(repositoryPath, digest, api));
      const budget = inputs.plan.sizeBudget;
      if (budget && size.bytes > budget.bytes) {
        const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
        const layers = size.largestLayers.map((l) => `${mb(l.bytes)} ${JSON.stringify(l.createdBy.slice(0, 80))}`);
        throw new Error(
          `${budget.property}: the image is ${mb(size.bytes)}${size.platform ? ` (${size.platform})` : ""}, over its budget of ${mb(budget.bytes)}; its largest layers: ${layers.join(", ")}. It stays in ${repository} as ${byInputs} only, without this environment's tags. Make those layers smaller, or raise the budget.`,
        );
      }
      status(`tagging (${tags.length} ${tags.length === 1 ? "tag" : "tags"})`);
      await registryStep("tag", server, () => tagManifest(repositoryPath, digest, tags, api));
      return outputs(digest, `${repository}@${digest}`, reused, reason, size);
    };

    if (inputs.promote) {
      const promoted = await promote(inputs, executor, repository, tags, credentials);
      const reason = `promoted from ${inputs.promote.from}: ${promoted.source} (${inputsTag(inputs.promote.hash)}); nothing built`;
      return outputs(promoted.digest, `${repository}@${promoted.digest}`, true, reason);
    }

    // Registry first: an image with these inputs was pushed before; give it the release tags.
    if (api) {
      status("resolving its inputs in the registry");
      const found = await registryStep("lookup", server, () => findManifest(repositoryPath, byInputs, api));
      if (found) return release(found, true, `reused: the registry holds ${byInputs} (same inputs); nothing built`);
    }

    const reason = rebuildReason(previous, inputs.inputs).summary;
    const plan: BuildPlan = {
      ...inputs.plan,
      dockerfile: inputs.closureDockerfile,
      tags: api ? [byInputs] : inputs.push ? [...tags, byInputs] : tags,
    };
    const secrets = inputs.secrets;
    // One login, before the gate: a builder reads and writes the registry cache (the gate
    // too) and BuildKit pushes with it; the engine's `docker push` uses it as well.
    if (plan.builder || inputs.push) await login();
    // The test gate reads the Dockerfile as written: the test stage (and the files it copies)
    // is not in the target's closure. It runs whenever the image is built, and a failing test
    // fails the update before anything is built or pushed.
    await executor.testGate(inputs.plan, repository, { secrets }).catch((err: unknown) => {
      throw explainBuildFailure(err, inputs.plan, inputs.plan.dockerfile, "test gate");
    });
    const built = await executor.buildImage(plan, repository, { secrets, push: inputs.push }).catch((err: unknown) => {
      // The engine's `docker push` failed (after its own retries): said as the other registry steps are.
      if (err instanceof DockerCommandError && err.step === "push")
        throw stepFailure("push", server, new RegistryError(err.message, 0));
      throw explainBuildFailure(err, inputs.plan, inputs.closureDockerfile, "build");
    });
    if (!inputs.push) return outputs("", built.imageUri, false, reason);
    if (!api) return outputs(built.digest, built.imageUri, false, reason);
    // No output names a digest the registry does not hold: ask it before reporting the push.
    const held = await registryStep("confirm", server, () => findManifest(repositoryPath, built.digest, api));
    if (held !== built.digest)
      throw new Error(
        `confirm in ${server} failed: the push reported ${built.digest}, but ${repository} does not hold it. Run pulumi up again; the state keeps the previous image.`,
      );
    return release(built.digest, false, reason);
  } finally {
    executor.dispose();
  }
}

/**
 * Give this environment's tags to the image another environment pushed with its inputs:
 * in the same repository, by tagging its manifest; in another, by pulling it and pushing it.
 */
async function promote(
  inputs: PublishRequest,
  executor: DockerExecutor,
  repository: string,
  tags: string[],
  credentials: RegistryCredentials | undefined,
): Promise<{ digest: string; source: string }> {
  const {
    from,
    hash,
    repository: sourceRepository = repository,
  } = inputs.promote as NonNullable<PublishRequest["promote"]>;
  if (!credentials) throw new Error(`promoting from ${from} needs the registry's credentials`);
  const byInputs = inputsTag(hash);
  // The host and path as a reference names them: `acme/api` is Docker Hub's, not a host "acme".
  const server = registryHost(sourceRepository);
  const sourcePath = parseImageReference(sourceRepository).repository;
  const found = await registryStep("promote", server, () =>
    findManifest(sourcePath, byInputs, { ...credentials, server }),
  );
  if (!found) {
    throw new Error(
      `environment "${from}" has no image with its current inputs in ${sourceRepository} (${byInputs}): run pulumi up on "${from}" first (it pushes that tag), or remove promoteFrom.`,
    );
  }
  if (sourceRepository === repository) {
    await registryStep("promote", credentials.server, () =>
      tagManifest(parseImageReference(repository).repository, found, tags, credentials),
    );
    return { digest: found, source: `${sourceRepository}@${found}` };
  }
  // Another repository (or registry): copy it with the same credentials.
  await executor.login({ ...credentials, server });
  if (server !== credentials.server) await executor.login(credentials);
  const source = `${sourceRepository}@${found}`;
  await executor.pull(source);
  const references = tags.map((t) => `${repository}:${t}`);
  for (const reference of references) await executor.tag(source, reference);
  const pushed = await executor.push(references);
  return { digest: pushed.digest, source };
}
