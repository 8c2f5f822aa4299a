/**
 * The `docker-cli` image resource's provider, as it runs in the dynamic provider's own process
 * (loaded there by path, see `docker-cli.ts`): the resource's diff, and create and update
 * through the publish pipeline. Imports no Pulumi SDK.
 */
import * as crypto from "crypto";
import { type PublishRequest, type PublishResult, publishImage } from "../publish/pipeline";

/** What the dynamic resource receives; resolved values. */
export interface DockerCliImageInputs extends PublishRequest {
  /** This compiled module, which the serialised provider loads in its own process. */
  providerModule: string;
}

/** What it reports, and keeps in the state: no credentials, no build-arg values. */
export interface DockerCliImageOutputs extends PublishResult {
  /** `sha256:…` of everything that changes the image (`fingerprint`); a secret output. */
  fingerprint: string;
}

async function publish(inputs: DockerCliImageInputs, previous?: PublishResult): Promise<DockerCliImageOutputs> {
  const published = await publishImage(inputs, previous?.inputs, { env: process.env });
  return { ...published, fingerprint: fingerprint(inputs) };
}

/**
 * A hash of what changes the image or where it goes: the target's inputs, the tags, push, and
 * the build settings. Not the paths (a checkout elsewhere builds the same image), not the
 * warnings, the credentials, args the target does not declare or the values of volatile args.
 */
function fingerprint(inputs: PublishRequest): string {
  const p = inputs.plan;
  const volatile = new Set(p.volatileArgs ?? []);
  // Only the args the target's stages declare change the image; volatile ones never rebuild it.
  const buildArgs = Object.entries(p.buildArgs).filter(
    ([name]) => !volatile.has(name) && p.consumedArgs.includes(name),
  );
  const settings = [
    p.target,
    p.platforms,
    p.builder,
    p.cache,
    p.attestations,
    p.ssh,
    p.secrets,
    p.testTarget,
    buildArgs,
  ];
  const hash = crypto.createHash("sha256");
  hash.update(JSON.stringify([inputs.inputs.hash, settings, inputs.references, inputs.push, inputs.promote ?? null]));
  return `sha256:${hash.digest("hex")}`;
}

/**
 * The provider's operations. The dynamic resource's serialised provider captures no module:
 * it `require`s this compiled file by the path in its inputs (`providerModule`) and calls these,
 * so it serialises the same on every `@pulumi/pulumi` the peer range allows.
 */
export const provider = {
  async diff(olds: DockerCliImageOutputs, news: DockerCliImageInputs): Promise<{ changes: boolean }> {
    return { changes: olds.fingerprint !== fingerprint(news) };
  },
  async create(inputs: DockerCliImageInputs): Promise<{ id: string; outs: DockerCliImageOutputs }> {
    const outs = await publish(inputs);
    return { id: outs.digest || outs.imageUri, outs };
  },
  async update(olds: DockerCliImageOutputs, news: DockerCliImageInputs): Promise<{ outs: DockerCliImageOutputs }> {
    return { outs: await publish(news, olds) };
  },
};
