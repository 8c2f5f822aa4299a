/**
 * The `docker-cli` image resource's provider, as it runs in the dynamic provider's own process
 * (loaded there by path, see `docker-cli.ts`): the resource's diff, and create and update
 * through the publish pipeline. Imports no Pulumi SDK.
 */
import * as crypto from "crypto";
import { imageSettings } from "../plan";
import type { RegistryCredentials } from "../registry";
import { type PublishHost, type PublishRequest, type PublishResult, publishImage, registryDrift } from "../publish";
import { dockerHost, registryClient } from "../host";

/** What the dynamic resource receives; resolved values. */
export type DockerCliImageInputs = PublishRequest;

/** What it reports, and keeps in the state: no build-arg values; credentials only as a secret. */
export interface DockerCliImageOutputs extends PublishResult {
  /** `sha256:…` of everything that changes the image (`fingerprint`); a secret output. */
  fingerprint: string;
  /**
   * The registry credentials it pushed with, for `pulumi refresh` (which gets the outputs, not
   * the inputs); a secret output, and only when it pushed with credentials.
   */
  registry?: Pick<RegistryCredentials, "username" | "password">;
  /** What `pulumi refresh` found changed in the registry; the next update repairs it. */
  drift?: string;
}

/**
 * What the engine's Cancel (Ctrl-C during `pulumi up`) aborts: every publish of this provider's
 * process stops before its next step. The package's provider (`pulumi-resource-multistage`)
 * passes Cancel on; Pulumi's dynamic-provider host, which serves the image resource in a
 * TypeScript program, answers it without telling its provider, so there a publish runs to its end.
 */
let cancellation = new AbortController();

/**
 * Publish as the resource's create and update do; `host` is the pipeline's (the Docker CLI and
 * the registry unless a test gives its own).
 * @internal
 */
export async function publish(
  inputs: DockerCliImageInputs,
  previous?: DockerCliImageOutputs,
  host?: PublishHost,
): Promise<DockerCliImageOutputs> {
  if (cancellation.signal.aborted) cancellation = new AbortController(); // a new operation after a cancelled one
  // One line per step on the provider's stderr, which Pulumi shows during `up` (a provider runs
  // no step during preview, so preview shows none).
  // The image by its environment and stage: a repository or a tag may be a secret.
  const image = `${inputs.plan.environment}/${inputs.plan.targetStage}`;
  const options = {
    env: process.env,
    onStatus: (line: string) => process.stderr.write(`multistage: ${image}: ${line}\n`),
    signal: cancellation.signal,
  };
  const { timings, ...published } = await publishImage(
    inputs,
    previous?.inputs,
    host ?? dockerHost(inputs.plan, options),
  );
  // The time of each step is said, not kept: it would change the state on every update.
  if (timings && Object.keys(timings).length)
    options.onStatus(
      `took ${Object.entries(timings)
        .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
        .join(", ")}`,
    );
  const { username, password } = inputs.registry;
  return {
    ...published,
    // The update repairs what refresh found: say so first.
    ...(previous?.drift ? { rebuildReason: `repaired (${previous.drift}): ${published.rebuildReason}` } : {}),
    fingerprint: fingerprint(inputs),
    ...(inputs.push && username !== undefined && password !== undefined ? { registry: { username, password } } : {}),
  };
}

/**
 * A hash of what changes the image or where it goes: the target's inputs, the tags, push, and
 * the build settings. Not the paths (a checkout elsewhere builds the same image), not the
 * warnings, the credentials, args the target does not declare or the values of volatile args.
 * @internal
 */
export function fingerprint(inputs: PublishRequest): string {
  const p = inputs.plan;
  // What rebuilds the image besides the inputs hash's closure: the one rule the hash reads too.
  const { buildArgs, metadata, rebuilding } = imageSettings(p);
  const settings: unknown[] = [
    p.target,
    p.platforms,
    p.builder,
    p.cache,
    // Where attestations go is new: "index" (as before it existed) leaves existing stacks unchanged.
    p.attestations?.store === "referrers"
      ? p.attestations
      : p.attestations && { provenance: p.attestations.provenance, sbom: p.attestations.sbom },
    p.ssh,
    p.secrets,
    p.testTarget,
    buildArgs,
  ];
  if (metadata.length) settings.push(metadata);
  settings.push(...rebuilding);
  // What vouches for the image before its tags (signing, verification, the gate), when set.
  if (p.release) settings.push({ release: p.release });
  const hash = crypto.createHash("sha256");
  hash.update(JSON.stringify([inputs.inputs.hash, settings, inputs.references, inputs.push, inputs.promote ?? null]));
  return `sha256:${hash.digest("hex")}`;
}

/**
 * The provider's operations. The dynamic resource's provider source (docker-cli-resource.ts)
 * `require`s this compiled file by its path and calls these, the same on every `@pulumi/pulumi`
 * the peer range allows.
 */
export const provider = {
  async diff(olds: DockerCliImageOutputs, news: DockerCliImageInputs): Promise<{ changes: boolean }> {
    // Drift found by refresh changes the image as much as new inputs do: the update repairs it.
    return { changes: olds.fingerprint !== fingerprint(news) || olds.drift !== undefined };
  },
  /**
   * `pulumi refresh`: ask the registry whether it still holds the digest and the release tags
   * point at it; what changed is recorded as `drift` (and the next update repairs it). A
   * registry that cannot be asked fails the refresh naming it: the state is kept as it was.
   */
  async read(id: string, props: DockerCliImageOutputs): Promise<{ id: string; props: DockerCliImageOutputs }> {
    const { drift: _previous, ...rest } = props;
    void _previous;
    if (!props.digest || !props.imageUri.includes("@")) return { id, props: rest }; // not pushed: nothing to ask
    const drift = await registryDrift(props, props.registry ?? {}, registryClient(process.env));
    return { id, props: drift ? { ...rest, drift } : rest };
  },
  async create(inputs: DockerCliImageInputs): Promise<{ id: string; outs: DockerCliImageOutputs }> {
    const outs = await publish(inputs);
    return { id: outs.digest || outs.imageUri, outs };
  },
  async update(olds: DockerCliImageOutputs, news: DockerCliImageInputs): Promise<{ outs: DockerCliImageOutputs }> {
    return { outs: await publish(news, olds) };
  },
  /** The engine's Cancel: publishes under way stop before their next step, and fail saying so. */
  async cancel(): Promise<void> {
    cancellation.abort();
  },
};
