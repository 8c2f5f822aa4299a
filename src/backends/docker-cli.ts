/**
 * The `docker-cli` back end: a Pulumi dynamic resource that runs the plan with the Docker
 * CLI (BuildKit) and pushes it, through the same executor as the quick start. It needs
 * no provider plugin beyond `pulumi-resource-pulumi-nodejs`, which ships with Pulumi:
 * for machines that cannot install `docker-build`, and for this repo's real-engine tests.
 *
 * It builds only what the target needs and only when that changes: the build gets the
 * Dockerfile reduced to the target's closure and a `<Dockerfile>.dockerignore` admitting only
 * the files the closure copies, and the resource changes only when the target's inputs hash
 * (`targetInputs`), the tags or the build settings do. Registry first: the image is also
 * tagged `inputs-<hash>`; when the registry already holds that tag (another stack, an
 * earlier run, CI), the release tags are put on its manifest and nothing is built. Each
 * build reports why it ran (`rebuildReason`). Deleting the resource leaves the pushed image
 * in the registry, as the other back ends do.
 */
import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as executorModuleType from "../executor";
import { DockerExecutor, type RegistryAccess, type RegistryCredentials, resolveImageDigests } from "../executor";
import {
  type BuildPlan,
  type InputsRecord,
  closureImages,
  inputsRecord,
  pinByDigest,
  targetInputs,
  writeClosureFiles,
} from "../plan";
import type * as planModuleType from "../plan";
import type { ImageBackend, PublishArgs, PublishedImage } from "./backend";

/** What the dynamic resource receives; resolved values. */
interface DockerCliImageInputs {
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
  /** The compiled executor module the provider loads (the provider runs in its own process). */
  executorModule: string;
}

/** What it reports, and keeps in the state: no credentials, no build-arg values. */
interface DockerCliImageOutputs {
  digest: string;
  imageUri: string;
  references: string[];
  /** `sha256:…` of everything that changes the image (`fingerprint`); a secret output. */
  fingerprint: string;
  /** The inputs of the image in the registry, for the next update's reasons. */
  inputs: InputsRecord;
  /** Why this image was built, or where it was found instead. */
  rebuildReason: string;
  /** True when the registry already held the image and nothing was built. */
  reused: boolean;
  /** Its size in the registry and largest layers (when pushed with credentials). */
  size?: executorModuleType.ImageSize;
}

/** The tag that names an image by its inputs: `inputs-<sha256 hex>`. */
function inputsTag(hash: string): string {
  return `inputs-${hash.replace(/^sha256:/, "")}`;
}

/** The modules the provider loads at run time (its code is serialised; imports are not). */
function modules(inputs: DockerCliImageInputs): { executor: typeof executorModuleType; plan: typeof planModuleType } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    executor: require(inputs.executorModule) as typeof executorModuleType,
    plan: require(path.join(path.dirname(inputs.executorModule), "..", "plan", "index.js")) as typeof planModuleType,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/**
 * Find the image by its inputs in the registry, or build and push it (the closure Dockerfile,
 * the release tags and `inputs-<hash>`); runs inside the dynamic provider's process.
 * `previous` is the state's record, for the reason.
 */
async function buildAndPush(
  inputs: DockerCliImageInputs,
  previous: InputsRecord | undefined,
): Promise<DockerCliImageOutputs> {
  const { executor: exec, plan: planning } = modules(inputs);
  const executor = new exec.DockerExecutor({ env: process.env });
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
      size?: executorModuleType.ImageSize,
    ): DockerCliImageOutputs => ({
      digest,
      imageUri,
      references: inputs.references,
      fingerprint: fingerprint(inputs),
      inputs: inputs.inputs,
      rebuildReason: reason,
      reused,
      ...(size ? { size } : {}),
    });
    // With the registry's API at hand, the image is pushed under `inputs-<hash>` alone, then
    // measured, then given the release tags: an image over its size budget gets none.
    const api = inputs.push && credentials && repository.startsWith(`${server}/`) ? credentials : undefined;
    const repositoryPath = repository.slice(server.length + 1);
    const release = async (digest: string, reused: boolean, reason: string): Promise<DockerCliImageOutputs> => {
      if (!api) return outputs(digest, `${repository}@${digest}`, reused, reason);
      const size = await exec.imageSize(repositoryPath, digest, api);
      const budget = inputs.plan.sizeBudget;
      if (budget && size.bytes > budget.bytes) {
        const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
        const layers = size.largestLayers.map((l) => `${mb(l.bytes)} ${JSON.stringify(l.createdBy.slice(0, 80))}`);
        throw new Error(
          `${budget.property}: the image is ${mb(size.bytes)}${size.platform ? ` (${size.platform})` : ""}, over its budget of ${mb(budget.bytes)}; its largest layers: ${layers.join(", ")}. It stays in ${repository} as ${byInputs} only, without this environment's tags. Make those layers smaller, or raise the budget.`,
        );
      }
      await exec.tagManifest(repositoryPath, digest, tags, api);
      return outputs(digest, `${repository}@${digest}`, reused, reason, size);
    };

    if (inputs.promote) {
      const promoted = await promote(inputs, executor, exec, repository, tags, credentials);
      const reason = `promoted from ${inputs.promote.from}: ${promoted.source} (${inputsTag(inputs.promote.hash)}); nothing built`;
      return outputs(promoted.digest, `${repository}@${promoted.digest}`, true, reason);
    }

    // Registry first: an image with these inputs was pushed before; give it the release tags.
    if (api) {
      const found = await exec.findManifest(repositoryPath, byInputs, api);
      if (found) return release(found, true, `reused: the registry holds ${byInputs} (same inputs); nothing built`);
    }

    const reason = planning.rebuildReason(previous, inputs.inputs).summary;
    const plan: BuildPlan = {
      ...inputs.plan,
      dockerfile: inputs.closureDockerfile,
      tags: api ? [byInputs] : inputs.push ? [...tags, byInputs] : tags,
    };
    const secrets = inputs.secrets;
    // BuildKit pushes the image and the cache itself, with the credentials of this login;
    // the registry cache is read by the test gate too.
    if (plan.builder) await login();
    // The test gate reads the Dockerfile as written: the test stage (and the files it copies)
    // is not in the target's closure. It runs whenever the image is built, and a failing test
    // fails the update before anything is built or pushed.
    await executor.testGate(inputs.plan, repository, { secrets });
    if (plan.builder) {
      const built = await executor.buildWithBuilder(plan, repository, { secrets, push: inputs.push });
      return api ? release(built.digest, false, reason) : outputs(built.digest, built.imageUri, false, reason);
    }
    const built = await executor.build(plan, repository, { secrets });
    if (!inputs.push) return outputs("", built.references[0], false, reason);
    await login();
    const pushed = await executor.push(built.references);
    return api ? release(pushed.digest, false, reason) : outputs(pushed.digest, pushed.imageUri, false, reason);
  } finally {
    executor.dispose();
  }
}

/**
 * Give this environment's tags to the image another environment pushed with its inputs:
 * in the same repository, by tagging its manifest; in another, by pulling it and pushing it.
 */
async function promote(
  inputs: DockerCliImageInputs,
  executor: executorModuleType.DockerExecutor,
  exec: typeof executorModuleType,
  repository: string,
  tags: string[],
  credentials: RegistryCredentials | undefined,
): Promise<{ digest: string; source: string }> {
  const {
    from,
    hash,
    repository: sourceRepository = repository,
  } = inputs.promote as NonNullable<DockerCliImageInputs["promote"]>;
  if (!credentials) throw new Error(`promoting from ${from} needs the registry's credentials`);
  const byInputs = inputsTag(hash);
  const server = sourceRepository.slice(0, sourceRepository.indexOf("/"));
  const sourcePath = sourceRepository.slice(server.length + 1);
  const found = await exec.findManifest(sourcePath, byInputs, { ...credentials, server });
  if (!found) {
    throw new Error(
      `environment "${from}" has no image with its current inputs in ${sourceRepository} (${byInputs}): run pulumi up on "${from}" first (it pushes that tag), or remove promoteFrom.`,
    );
  }
  if (sourceRepository === repository) {
    const path = repository.slice(credentials.server.length + 1);
    await exec.tagManifest(path, found, tags, credentials);
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

/**
 * A hash of what changes the image or where it goes: the target's inputs, the tags, push, and
 * the build settings. Not the paths (a checkout elsewhere builds the same image), not the
 * warnings, the credentials, args the target does not declare or the values of volatile args.
 */
function fingerprint(inputs: DockerCliImageInputs): string {
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

const provider: pulumi.dynamic.ResourceProvider<DockerCliImageInputs, DockerCliImageOutputs> = {
  async diff(_id, olds: DockerCliImageOutputs, news: DockerCliImageInputs) {
    return { changes: olds.fingerprint !== fingerprint(news) };
  },
  async create(inputs: DockerCliImageInputs) {
    const outs = await buildAndPush(inputs, undefined);
    return { id: outs.digest || outs.imageUri, outs };
  },
  async update(_id, olds: DockerCliImageOutputs, news: DockerCliImageInputs) {
    return { outs: await buildAndPush(news, olds.inputs) };
  },
  async delete() {
    // Pushed images stay in the registry (its lifecycle rules expire them), as with the other back ends.
  },
};

/**
 * The executor the provider loads: the compiled one beside this module. Under ts-node (this
 * repo's own tests) that is `lib/`, built by `npm run build`.
 */
function executorModule(): string {
  return path.extname(__filename) === ".ts"
    ? path.join(__dirname, "..", "..", "lib", "executor", "index.js")
    : path.join(__dirname, "..", "executor", "index.js");
}

/** The dynamic resource (`multistage:DockerCliImage`). */
class DockerCliImage extends pulumi.dynamic.Resource {
  declare readonly digest: pulumi.Output<string>;
  declare readonly imageUri: pulumi.Output<string>;
  declare readonly rebuildReason: pulumi.Output<string>;
  declare readonly size: pulumi.Output<executorModuleType.ImageSize | undefined>;

  constructor(name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    const outputs = {
      digest: undefined,
      imageUri: undefined,
      rebuildReason: undefined,
      reused: undefined,
      size: undefined,
    };
    super(provider, name, { ...inputs, ...outputs }, opts, "multistage", "DockerCliImage");
  }
}

/** @internal */
export const dockerCliBackend: ImageBackend = {
  name: "docker-cli",
  supports: {
    secrets: true,
    ssh: true,
    builder: "any",
    registryCache: true,
    multiPlatform: true,
    attestations: true,
    promotion: true,
  },
  publish(args: PublishArgs): PublishedImage {
    const references = pulumi.unsecret(
      pulumi.all([args.repositoryUrl, args.plan.tags]).apply(([url, tags]) => tags.map((t) => `${url}:${t}`)),
    );
    const read = closureInputs(args.plan, args.registry, args.parent);
    const inputs = {
      plan: args.plan,
      references,
      push: args.push,
      registry: {
        server: args.registry.server,
        username: args.registry.username,
        password: args.registry.password === undefined ? undefined : pulumi.secret(args.registry.password),
      },
      ...read,
      secrets: args.secrets,
      executorModule: executorModule(),
    };
    const image = new DockerCliImage(args.name, inputs, {
      parent: args.parent,
      dependsOn: args.dependsOn,
      additionalSecretOutputs: ["fingerprint"],
    });
    const imageUri = pulumi
      .all([args.repositoryUrl, image.digest, image.imageUri, args.push])
      .apply(([url, digest, uri, push]) => (push && digest ? pinByDigest(url, digest) : uri));
    return { imageUri, references, resources: [image], rebuildReason: image.rebuildReason, size: image.size };
  },
};

/**
 * The digests of the images `plans` start from or copy from, as the build will see them: the
 * Docker engine's local images first when it builds, else the registries (with the
 * image registry's credentials for its own host). An image that cannot be resolved counts by
 * its tag, with a warning.
 */
async function imageDigests(
  plans: readonly BuildPlan[],
  registry: RegistryAccess,
  parent: pulumi.Resource,
  secret: boolean,
): Promise<Record<string, string>> {
  const images = [...new Set(plans.flatMap(closureImages))];
  if (!images.length) return {};
  const engine = plans.some((p) => !p.builder) ? new DockerExecutor({ env: process.env }) : undefined;
  try {
    const { digests, unresolved } = await resolveImageDigests(images, { engine, registries: [registry] });
    const fix =
      "its tag alone counts in the inputs hash, so a new image under that tag does not rebuild. Pin it by digest (image@sha256:…) to be sure.";
    for (const [image, why] of Object.entries(unresolved))
      void pulumi.log.warn(
        // A secret build arg may be part of the reference (FROM ${BASE}): then it is not named.
        secret
          ? `an image of the target could not be resolved to a digest (not named: the plan holds secret build args); ${fix}`
          : `image ${image}: its digest could not be resolved (${why}); ${fix}`,
        parent,
      );
    return digests;
  } finally {
    engine?.dispose();
  }
}

/** The target's inputs, read now (base images by digest), the closure files written for the build, and the promotion. */
function closureInputs(
  plan: pulumi.Output<BuildPlan>,
  registry: PublishArgs["registry"],
  parent: pulumi.Resource,
): {
  inputs: pulumi.Output<InputsRecord>;
  closureDockerfile: pulumi.Output<string>;
  promote: pulumi.Output<DockerCliImageInputs["promote"]>;
} {
  // The credentials are used here and kept nowhere: what comes out holds hashes and digests only.
  const access = pulumi.unsecret(
    pulumi.all([registry.server, registry.username, registry.password]).apply(([server, username, password]) => ({
      server,
      ...(username !== undefined && password !== undefined ? { username, password } : {}),
    })),
  );
  const read = pulumi.all([plan, access]).apply(async ([p, registryAccess]) => {
    const source = p.promotion?.source;
    const digests = await imageDigests(source ? [p, source] : [p], registryAccess, parent, await pulumi.isSecret(plan));
    const inputs = targetInputs(p, digests);
    return {
      record: inputsRecord(inputs),
      dockerfile: writeClosureFiles(p, inputs),
      promote: p.promotion
        ? {
            from: p.promotion.from,
            hash: targetInputs(p.promotion.source, digests).hash,
            ...(p.promotion.repository ? { repository: p.promotion.repository } : {}),
          }
        : undefined,
    };
  });
  return { inputs: read.record, closureDockerfile: read.dockerfile, promote: read.promote };
}
