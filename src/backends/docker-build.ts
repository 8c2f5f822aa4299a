/**
 * The `@pulumi/docker-build` back end (what `awsx.ecr.Image` uses): one `Image` per
 * published image carrying all its tags, pushed with BuildKit, credentials as secrets.
 */
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { type BuildPlan, buildContextValue, isCacheEntry, pinByDigest } from "../plan";
import {
  type ImageBackend,
  type PublishArgs,
  type PublishedImage,
  prepareTarget,
  secretCredentials,
  secretIf,
  taggedReferences,
} from "./backend";
import { SUPPORT } from "./support";

/**
 * The `docker-build.Image` inputs for what is published, under its tagged references.
 * @internal
 */
export function dockerBuildImageArgs(
  args: PublishArgs,
  references: pulumi.Input<string[]>,
  closureDockerfile: pulumi.Input<string>,
): dockerBuild.ImageArgs {
  const { plan, secrets } = args;
  // Cache refs live in the image's repository: not secret because the plan's build args are,
  // but secret when a cacheFrom reference was given as one.
  const cache = secretIf(cacheEntries(plan, args.repositoryUrl), args.secretCacheRefs);
  const settings = buildSettings(plan);
  const credentials = secretCredentials(args.registry);
  return {
    ...(secrets ? { secrets } : {}),
    tags: references,
    push: args.push,
    context: plan.apply(buildContext),
    // The Dockerfile reduced to the target's closure, with a <Dockerfile>.dockerignore beside it
    // that admits only the files the closure copies: the provider's context hash (and BuildKit)
    // see nothing else, so an edit elsewhere in the context does not rebuild this image.
    dockerfile: { location: pulumi.unsecret(pulumi.output(closureDockerfile)) },
    target: plan.target,
    buildArgs: plan.buildArgs,
    platforms: settings.platforms,
    builder: settings.builder.apply((name) => (name ? { name } : {})),
    ssh: settings.ssh,
    labels: settings.labels,
    network: settings.network,
    addHosts: settings.addHosts,
    noCache: settings.noCache,
    pull: settings.pull,
    load: settings.load,
    exports: settings.exports,
    cacheFrom: cache.from,
    cacheTo: cache.to,
    registries: [{ address: credentials.server, username: credentials.username, password: credentials.password }],
    buildOnPreview: args.buildOnPreview,
  };
}

/**
 * The caches docker-build reads and writes: the plan's entries and the registry cache's tags in the
 * image's repository (`url`). Not secret because the plan's build args are.
 */
function cacheEntries(plan: PublishArgs["plan"], url: PublishArgs["repositoryUrl"]) {
  return pulumi.unsecret(
    pulumi.all([plan, url]).apply(([p, url]) => ({
      from: [
        ...p.cacheFrom.map((ref) => (isCacheEntry(ref) ? { raw: ref } : { registry: { ref } })),
        ...(p.cache && url ? p.cache.from.map((tag) => ({ registry: { ref: `${url}:${tag}` } })) : []),
      ],
      to: [
        ...p.cacheTo.map((raw) => ({ raw })),
        ...(p.cache && url
          ? [
              {
                registry: {
                  ref: `${url}:${p.cache.to}`,
                  mode: p.cache.mode === "max" ? dockerBuild.CacheMode.Max : dockerBuild.CacheMode.Min,
                  imageManifest: true,
                  ociMediaTypes: true,
                },
              },
            ]
          : []),
      ],
    })),
  );
}

/** The build settings as docker-build's `Image` takes them; not secret because the plan's build args are. */
function buildSettings(plan: PublishArgs["plan"]) {
  return pulumi.unsecret(
    plan.apply((p) => ({
      platforms: p.platforms as dockerBuild.Platform[],
      builder: p.builder?.name,
      ssh: p.ssh.map((s) => ({ id: s.id, ...(s.paths.length ? { paths: s.paths } : {}) })),
      // Its provider rebuilds when a label changes: the release's own (the commit) would rebuild
      // every commit, so they are left off here.
      labels: Object.fromEntries(Object.entries(p.labels).filter(([name]) => !p.volatileLabels.includes(name))),
      network: p.settings.network,
      addHosts: [...p.settings.addHosts],
      noCache: p.settings.noCache,
      pull: p.settings.pull,
      load: p.outputs.load,
      exports: p.outputs.exports.map((raw) => ({ raw })),
    })),
  );
}

/** The build context and its named contexts, as docker-build takes them. */
function buildContext(p: BuildPlan): dockerBuild.types.input.BuildContextArgs {
  return {
    location: p.context,
    ...(Object.keys(p.contexts).length
      ? {
          named: Object.fromEntries(
            Object.entries(p.contexts).map(([name, c]) => [name, { location: buildContextValue(c) }]),
          ),
        }
      : {}),
  };
}

/** @internal */
export const dockerBuildBackend: ImageBackend = {
  name: "docker-build",
  supports: SUPPORT["docker-build"],
  publish(args: PublishArgs): PublishedImage {
    const prepared = prepareTarget(args.plan, args.registry, args.parent);
    const references = taggedReferences(
      args,
      prepared.inputs.apply((i) => i.hash),
    );
    const imageArgs = dockerBuildImageArgs(args, references, prepared.closureDockerfile);
    // The test gate: the test stage builds first (its RUNs run the tests), kept in the cache only.
    // It reads the Dockerfile as written (the test stage and what it copies are not in the
    // target's closure); it runs whenever the image itself changes.
    const gate = args.testTarget
      ? new dockerBuild.Image(
          `${args.name}-test`,
          {
            ...imageArgs,
            dockerfile: { location: pulumi.unsecret(args.plan.dockerfile) },
            target: args.testTarget,
            tags: [],
            push: false,
            cacheTo: [],
            exports: [],
            load: false,
          },
          { parent: args.parent, dependsOn: args.dependsOn },
        )
      : undefined;
    // The provider's Image deletes its manifest from the registry on delete and on every
    // replacement, while running tasks and pods still pull that digest: kept unless asked.
    const image = new dockerBuild.Image(args.name, imageArgs, {
      parent: args.parent,
      dependsOn: gate ? [gate] : args.dependsOn,
      retainOnDelete: !args.deletePushedImages,
    });
    const imageUri = pulumi
      .all([args.repositoryUrl, image.digest, args.push, references])
      .apply(([url, digest, push, refs]) => (push && digest ? pinByDigest(url, digest) : refs[0]));
    return { imageUri, references, resources: gate ? [image, gate] : [image] };
  },
};
