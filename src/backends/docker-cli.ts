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
import * as pulumi from "@pulumi/pulumi";
import { pinByDigest } from "../plan";
import {
  type ImageBackend,
  type PublishArgs,
  type PublishedImage,
  prepareTarget,
  secretCredentials,
  taggedReferences,
} from "./backend";
import { SUPPORT } from "./support";
import { DockerCliImage } from "./docker-cli-resource";

/** @internal */
export const dockerCliBackend: ImageBackend = {
  name: "docker-cli",
  supports: SUPPORT["docker-cli"],
  publish(args: PublishArgs): PublishedImage {
    const read = prepareTarget(args.plan, args.registry, args.parent);
    const references = taggedReferences(
      args,
      read.inputs.apply((i) => i.hash),
    );
    const inputs = {
      plan: args.plan,
      references,
      push: args.push,
      registry: secretCredentials(args.registry),
      inputs: read.inputs,
      closureDockerfile: read.closureDockerfile,
      promote: read.promote,
      ...(args.secrets ? { secrets: args.secrets } : {}),
      ...(args.signing ? { signing: args.signing } : {}),
      // The release gate runs where the program does (its command's paths are the program's).
      cwd: args.plan.apply((p) => (p.release?.gate ? process.cwd() : undefined)),
    };
    const image = new DockerCliImage(
      args.name,
      inputs,
      {
        parent: args.parent,
        dependsOn: args.dependsOn,
        additionalSecretOutputs: ["fingerprint", "registry", "signing"],
      },
      args.imageResource ?? "dynamic",
    );
    // Unpushed, or under a program's own mocks (no outputs): the first tagged reference.
    const imageUri = pulumi
      .all([args.repositoryUrl, image.digest, image.imageUri, args.push, references])
      .apply(([url, digest, uri, push, refs]) => (push && digest ? pinByDigest(url, digest) : (uri ?? refs[0])));
    return { imageUri, references, resources: [image], rebuildReason: image.rebuildReason, size: image.size };
  },
};
