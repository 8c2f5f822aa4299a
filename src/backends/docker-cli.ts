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
 * in the registry.
 *
 * This module runs in the program: it reads the closure's inputs and declares the resource.
 * What runs in the provider's process is `docker-cli-provider.ts`, loaded there by path.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { ImageSize } from "../executor";
import { prepareImage } from "../publish";
import { type BuildPlan, type InputsRecord, pinByDigest } from "../plan";
import type { ImageBackend, PublishArgs, PublishedImage } from "./backend";
import type { DockerCliImageInputs, DockerCliImageOutputs } from "./docker-cli-provider";
import type * as providerModuleType from "./docker-cli-provider";

/**
 * The serialised provider: it captures nothing but `require`, and delegates to the compiled
 * `docker-cli-provider` module named in the inputs (diff and create/update get them; delete
 * keeps the pushed image and needs nothing).
 */
const provider: pulumi.dynamic.ResourceProvider<DockerCliImageInputs, DockerCliImageOutputs> = {
  async diff(_id, olds, news) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(news.providerModule) as typeof providerModuleType).provider.diff(olds, news);
  },
  async create(inputs) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(inputs.providerModule) as typeof providerModuleType).provider.create(inputs);
  },
  async update(_id, olds, news) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(news.providerModule) as typeof providerModuleType).provider.update(olds, news);
  },
  async delete() {
    // Pushed images stay in the registry (its lifecycle rules expire them).
  },
};

/**
 * The compiled provider module the dynamic provider loads: the one beside this module. Under
 * ts-node (this repo's own tests) that is `lib/`, built by `npm run build`.
 */
function providerModule(): string {
  return path.extname(__filename) === ".ts"
    ? path.join(__dirname, "..", "..", "lib", "backends", "docker-cli-provider.js")
    : path.join(__dirname, "docker-cli-provider.js");
}

/** The dynamic resource (`multistage:DockerCliImage`). */
class DockerCliImage extends pulumi.dynamic.Resource {
  declare readonly digest: pulumi.Output<string>;
  declare readonly imageUri: pulumi.Output<string>;
  declare readonly rebuildReason: pulumi.Output<string>;
  declare readonly size: pulumi.Output<ImageSize | undefined>;

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
    sizeBudget: true,
    volatileArgs: true,
    deleteImages: false,
    gateFromPlan: true,
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
      providerModule: providerModule(),
    };
    const image = new DockerCliImage(args.name, inputs, {
      parent: args.parent,
      dependsOn: args.dependsOn,
      additionalSecretOutputs: ["fingerprint"],
    });
    // Unpushed, or under a program's own mocks (no outputs): the first tagged reference.
    const imageUri = pulumi
      .all([args.repositoryUrl, image.digest, image.imageUri, args.push, references])
      .apply(([url, digest, uri, push, refs]) => (push && digest ? pinByDigest(url, digest) : (uri ?? refs[0])));
    return { imageUri, references, resources: [image], rebuildReason: image.rebuildReason, size: image.size };
  },
};

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
  const read = pulumi.all([plan, access]).apply(async ([p, registryAccess]) =>
    prepareImage(p, registryAccess, {
      env: process.env,
      secret: await pulumi.isSecret(plan),
      warn: (message) => void pulumi.log.warn(message, parent),
    }),
  );
  return { inputs: read.inputs, closureDockerfile: read.closureDockerfile, promote: read.apply((r) => r.promote) };
}
