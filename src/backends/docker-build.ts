/**
 * The `@pulumi/docker-build` back end (what `awsx.ecr.Image` uses): one `Image` per
 * published image carrying all its tags, pushed with BuildKit, credentials as secrets.
 */
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { type BuildPlan, pinByDigest } from "../plan";
import type { ImageBackend, PublishArgs, PublishedImage, RegistryInput } from "./backend";

/**
 * The `docker-build.Image` inputs for a plan, its tagged references and registry.
 * @internal
 */
export function dockerBuildImageArgs(
  plan: pulumi.Output<BuildPlan>,
  references: pulumi.Input<string[]>,
  registry: RegistryInput,
  push: pulumi.Input<boolean>,
  buildOnPreview: pulumi.Input<boolean>,
  secrets?: pulumi.Output<Record<string, string>>,
): dockerBuild.ImageArgs {
  return {
    ...(secrets ? { secrets } : {}),
    tags: references,
    push,
    context: { location: plan.context },
    dockerfile: { location: plan.dockerfile },
    target: plan.target,
    buildArgs: plan.buildArgs,
    platforms: plan.apply((p) => (p.platform ? [p.platform as dockerBuild.Platform] : [])),
    cacheFrom: plan.apply((p) => p.cacheFrom.map((ref) => ({ registry: { ref } }))),
    registries: [
      {
        address: registry.server,
        username: registry.username,
        password: registry.password === undefined ? undefined : pulumi.secret(registry.password),
      },
    ],
    buildOnPreview,
  };
}

/** @internal */
export const dockerBuildBackend: ImageBackend = {
  name: "docker-build",
  publish(args: PublishArgs): PublishedImage {
    // Tags never hold secret values, even when the plan (its build args) is secret.
    const references = pulumi.unsecret(
      pulumi.all([args.repositoryUrl, args.plan.tags]).apply(([url, tags]) => tags.map((t) => `${url}:${t}`)),
    );
    const imageArgs = dockerBuildImageArgs(
      args.plan,
      references,
      args.registry,
      args.push,
      args.buildOnPreview,
      args.secrets,
    );
    // The test gate: the test stage builds first (its RUNs run the tests), kept in the cache only.
    const gate = args.testTarget
      ? new dockerBuild.Image(
          `${args.name}-test`,
          { ...imageArgs, target: args.testTarget, tags: [], push: false },
          { parent: args.parent, dependsOn: args.dependsOn },
        )
      : undefined;
    const image = new dockerBuild.Image(args.name, imageArgs, {
      parent: args.parent,
      dependsOn: gate ? [gate] : args.dependsOn,
    });
    const imageUri = pulumi
      .all([args.repositoryUrl, image.digest, args.push, references])
      .apply(([url, digest, push, refs]) => (push && digest ? pinByDigest(url, digest) : refs[0]));
    return { imageUri, references, resources: gate ? [image, gate] : [image] };
  },
};
