/**
 * The `@pulumi/docker` back end: one `docker.Image` per tag. The first builds and
 * pushes; the others are cache hits pushed under the other tags.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { type BuildPlan, cacheImage, parseCacheEntry, pinByDigest } from "../plan";
import { type ImageBackend, type PublishArgs, type PublishedImage, prepareTarget, taggedReferences } from "./backend";
import { SUPPORT } from "./support";

/**
 * The `docker.Image` build block for a plan.
 * @internal
 */
export function dockerBuildInputs(plan: BuildPlan, dockerfile = plan.dockerfile): docker.types.input.DockerBuild {
  return {
    context: plan.context,
    dockerfile,
    ...(plan.target ? { target: plan.target } : {}),
    args: plan.buildArgs,
    ...(plan.platforms.length ? { platform: plan.platforms[0] } : {}),
    builderVersion: "BuilderBuildKit",
    ...(plan.cacheFrom.length ? { cacheFrom: { images: plan.cacheFrom.map(dockerCacheImage) } } : {}),
    ...(plan.settings.network ? { network: plan.settings.network } : {}),
    ...(plan.settings.addHosts.length ? { addHosts: [...plan.settings.addHosts] } : {}),
  };
}

/**
 * A `cacheFrom` entry as its build block takes it: an image. A `type=…` entry other than a
 * registry one is refused at construction; one given as an Output is refused here, before the build.
 */
function dockerCacheImage(entry: string): string {
  const image = cacheImage(entry);
  if (image === undefined)
    throw new Error(
      `cacheFrom: the docker back end reads caches from images only, not "${parseCacheEntry(entry)?.type ?? entry}"; use backend "docker-cli" or "docker-build".`,
    );
  return image;
}

/** @internal */
export const dockerBackend: ImageBackend = {
  name: "docker",
  supports: SUPPORT.docker,
  publish(args: PublishArgs): PublishedImage {
    // The Dockerfile reduced to the target's closure, with its <Dockerfile>.dockerignore.
    const prepared = prepareTarget(args.plan, args.registry, args.parent);
    const build = pulumi
      .all([args.plan, prepared.closureDockerfile])
      .apply(([p, dockerfile]) => dockerBuildInputs(p, dockerfile));
    const references = taggedReferences(
      args,
      prepared.inputs.apply((i) => i.hash),
    );
    // The test gate: the test stage builds first, locally only; the images depend on it.
    const gate = args.testTarget
      ? new docker.Image(
          `${args.name}-test`,
          {
            imageName: references.apply((refs) => `${refs[0]}-test`),
            // The Dockerfile as written: in the target's closure the test stage is a placeholder.
            build: args.plan.apply((p) => ({ ...dockerBuildInputs(p), target: args.testTarget })),
            skipPush: true,
            buildOnPreview: args.buildOnPreview,
          },
          { parent: args.parent, dependsOn: args.dependsOn },
        )
      : undefined;
    const images: docker.Image[] = [];
    for (let i = 0; i < args.tagCount; i++) {
      images.push(
        new docker.Image(
          i === 0 ? args.name : `${args.name}-${i}`,
          {
            imageName: references.apply((refs) => refs[Math.min(i, refs.length - 1)]),
            build,
            registry: args.registry,
            skipPush: pulumi.output(args.push).apply((p) => !p),
            buildOnPreview: args.buildOnPreview,
          },
          { parent: args.parent, dependsOn: i > 0 ? [images[0]] : gate ? [gate] : args.dependsOn },
        ),
      );
    }
    const primary = images[0];
    const imageUri = pulumi
      .all([args.repositoryUrl, primary.repoDigest, primary.imageName, args.push])
      .apply(([url, repoDigest, imageName, push]) => (push && repoDigest ? pinByDigest(url, repoDigest) : imageName));
    return { imageUri, references, resources: gate ? [...images, gate] : images };
  },
};
