/**
 * The `docker-cli` back end: a Pulumi dynamic resource that runs the plan with the Docker
 * CLI (BuildKit) and pushes it, through the same executor as the quick start. It needs
 * no provider plugin beyond `pulumi-resource-pulumi-nodejs`, which ships with Pulumi:
 * for machines that cannot install `docker-build`, and for this repo's real-engine tests.
 *
 * The image is rebuilt when the plan, the tags or the files the build reads change
 * (`contextHash`); deleting the resource leaves the pushed image in the registry, as the
 * other back ends do.
 */
import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { DockerExecutor, RegistryCredentials } from "../executor";
import { type BuildPlan, pinByDigest } from "../plan";
import type { ImageBackend, PublishArgs, PublishedImage } from "./backend";
import { contextHash } from "./context-hash";

/** What the dynamic resource receives; resolved values. */
interface DockerCliImageInputs {
  plan: BuildPlan;
  references: string[];
  push: boolean;
  registry: { server: string; username?: string; password?: string };
  /** Build secrets by id; a secret input, never kept in the outputs. */
  secrets?: Record<string, string>;
  /** `sha256:…` of the Dockerfile and the context files the build reads. */
  contextHash: string;
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
}

/** Build with the Docker CLI, log in and push; runs inside the dynamic provider's process. */
async function buildAndPush(inputs: DockerCliImageInputs): Promise<DockerCliImageOutputs> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DockerExecutor: Executor } = require(inputs.executorModule) as { DockerExecutor: typeof DockerExecutor };
  const executor = new Executor({ env: process.env });
  try {
    const repository = inputs.references[0].slice(0, inputs.references[0].lastIndexOf(":"));
    const plan = { ...inputs.plan, tags: inputs.references.map((r) => r.slice(r.lastIndexOf(":") + 1)) };
    const { username, password, server } = inputs.registry;
    const login = async (): Promise<void> => {
      if (username !== undefined && password !== undefined)
        await executor.login({ server, username, password } satisfies RegistryCredentials);
    };
    const secrets = inputs.secrets;
    if (plan.builder) {
      // BuildKit pushes the image and the cache itself, with the credentials of this login;
      // the registry cache is read by the test gate too.
      await login();
      if (plan.testTarget) {
        await executor.buildWithBuilder({ ...plan, target: plan.testTarget, tags: [] }, repository, {
          secrets,
          push: false,
        });
      }
      const built = await executor.buildWithBuilder(plan, repository, { secrets, push: inputs.push });
      return {
        digest: built.digest,
        imageUri: built.imageUri,
        references: built.references,
        fingerprint: fingerprint(inputs),
      };
    }
    if (plan.testTarget) {
      // The test gate: a failing test stage fails the update before anything is built or pushed.
      await executor.build({ ...plan, target: plan.testTarget, tags: [] }, repository, { secrets });
    }
    const built = await executor.build(plan, repository, { secrets });
    if (!inputs.push) {
      return {
        digest: "",
        imageUri: built.references[0],
        references: built.references,
        fingerprint: fingerprint(inputs),
      };
    }
    await login();
    const pushed = await executor.push(built.references);
    return {
      digest: pushed.digest,
      imageUri: pushed.imageUri,
      references: pushed.references,
      fingerprint: fingerprint(inputs),
    };
  } finally {
    executor.dispose();
  }
}

/** A hash of what changes the image or where it goes (plan, tags, push, files read); warnings and credentials are not. */
function fingerprint(inputs: DockerCliImageInputs): string {
  const { warnings, ...plan } = inputs.plan;
  void warnings;
  const hash = crypto.createHash("sha256");
  hash.update(JSON.stringify([plan, inputs.references, inputs.push, inputs.contextHash]));
  return `sha256:${hash.digest("hex")}`;
}

const provider: pulumi.dynamic.ResourceProvider<DockerCliImageInputs, DockerCliImageOutputs> = {
  async diff(_id, olds: DockerCliImageOutputs, news: DockerCliImageInputs) {
    return { changes: olds.fingerprint !== fingerprint(news) };
  },
  async create(inputs: DockerCliImageInputs) {
    const outs = await buildAndPush(inputs);
    return { id: outs.digest || outs.imageUri, outs };
  },
  async update(_id, _olds, news: DockerCliImageInputs) {
    return { outs: await buildAndPush(news) };
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

  constructor(name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(provider, name, { ...inputs, digest: undefined, imageUri: undefined }, opts, "multistage", "DockerCliImage");
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
  },
  publish(args: PublishArgs): PublishedImage {
    const references = pulumi.unsecret(
      pulumi.all([args.repositoryUrl, args.plan.tags]).apply(([url, tags]) => tags.map((t) => `${url}:${t}`)),
    );
    const inputs = {
      plan: args.plan,
      references,
      push: args.push,
      registry: {
        server: args.registry.server,
        username: args.registry.username,
        password: args.registry.password === undefined ? undefined : pulumi.secret(args.registry.password),
      },
      contextHash: args.plan.apply((p) => contextHash(p.context, p.dockerfile)),
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
    return { imageUri, references, resources: [image] };
  },
};
