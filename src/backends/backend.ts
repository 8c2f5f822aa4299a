/**
 * The one interface every build back end implements: given a plan, a repository and
 * its credentials, create the provider resources that build and push the image, and
 * report the digest-pinned reference.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegistryInputs, ImageSize } from "../registry";
import type { ImageResourceHost } from "./docker-cli-resource";
import { type BuildPlan, type InputsRecord, withInputsHash } from "../plan";
import { type PreparedImage, prepareImage } from "../publish";
import { baseImageResolver } from "../host";
import type { BackendSupport } from "./support";

/**
 * What a back end publishes: one image of a plan, under all the plan's tags.
 * @internal
 */
export interface PublishArgs {
  /** Name of the (first) image resource. */
  readonly name: string;
  /** The plan with the real build-arg values (secret where any value is). */
  readonly plan: pulumi.Output<BuildPlan>;
  /** How many tags the plan has, known at construction (back ends that make a resource per tag need it). */
  readonly tagCount: number;
  /** Repository URL, without tag. */
  readonly repositoryUrl: pulumi.Output<string>;
  readonly registry: RegistryInputs;
  /** Push to the repository; `false` builds only. */
  readonly push: pulumi.Input<boolean>;
  /** Build during `pulumi preview` too. */
  readonly buildOnPreview: pulumi.Input<boolean>;
  /**
   * The test stage to build (never pushed) before the image, when known at construction;
   * back ends that make resources need it then. The docker-cli back end reads `plan.testTarget`.
   */
  readonly testTarget?: string;
  /** A tag holds a secret value: the tagged references stay secret. */
  readonly tagsSecret?: pulumi.Output<boolean>;
  /** Some `cacheFrom` reference is a Pulumi secret: the cache refs stay secret. */
  readonly secretCacheRefs?: pulumi.Output<boolean>;
  /** Build secrets by id (`plan.secrets` names them); a Pulumi secret. */
  readonly secrets?: pulumi.Output<Record<string, string>>;
  /** The cosign key the environment signs with (`plan.release.sign`); a Pulumi secret. */
  readonly signing?: pulumi.Output<{ key: string; keyPassword?: string }>;
  /** Delete the pushed image when its resource is deleted or replaced (`deletePushedImages`); else keep it. */
  readonly deletePushedImages: boolean;
  readonly parent: pulumi.Resource;
  readonly dependsOn?: pulumi.Resource[];
  /** Who serves the image resource (`docker-cli`): the dynamic provider, or the package's own. @default "dynamic" */
  readonly imageResource?: ImageResourceHost;
}

/**
 * What a back end created.
 * @internal
 */
export interface PublishedImage {
  /** `<repository>@sha256:…` once pushed; the local tagged reference when not pushed. */
  readonly imageUri: pulumi.Output<string>;
  /** Tagged references pushed (`<repository>:<tag>`), in the plan's order. */
  readonly references: pulumi.Output<string[]>;
  /** The provider resources, the one that builds first. */
  readonly resources: pulumi.CustomResource[];
  /** Why the image was built, or found in the registry instead (back ends that can tell). */
  readonly rebuildReason?: pulumi.Output<string>;
  /** Its size in the registry and largest layers (back ends that can tell). */
  readonly size?: pulumi.Output<ImageSize | undefined>;
}

/**
 * A build back end.
 * @internal
 */
export interface ImageBackend {
  readonly name: string;
  readonly supports: BackendSupport;
  publish(args: PublishArgs): PublishedImage;
}

/**
 * The plan's tags in the repository (`<repository>:<tag>`), `{inputsHash}` filled in from the
 * target's `inputsHash`: not secret because the plan (its build args) is (the hash is a digest of
 * the inputs, as the `inputs-<hash>` tag is), but secret when the repository itself is a secret
 * or a tag holds a secret value.
 * @internal
 */
export function taggedReferences(args: PublishArgs, inputsHash: pulumi.Input<string>): pulumi.Output<string[]> {
  const tags = pulumi.unsecret(pulumi.all([args.plan.tags, inputsHash]).apply(([t, hash]) => withInputsHash(t, hash)));
  const references = pulumi.all([args.repositoryUrl, tags]).apply(([url, t]) => t.map((tag) => `${url}:${tag}`));
  return secretIf(references, args.tagsSecret);
}

/** A target prepared for publishing: its inputs (base images by digest), the closure files, the promotion. */
export interface PreparedTarget {
  readonly inputs: pulumi.Output<InputsRecord>;
  /** The Dockerfile reduced to the target's closure, with its `<Dockerfile>.dockerignore` beside it. */
  readonly closureDockerfile: pulumi.Output<string>;
  readonly promote: pulumi.Output<PreparedImage["promote"]>;
}

/**
 * The one preparation of a target, for every back end: the publish layer's `prepareImage`
 * (base images resolved to digests, the inputs hash, the closure files written), so
 * `{inputsHash}` and `inputs-<hash>` are the same value on every back end for the same inputs.
 * @internal
 */
export function prepareTarget(
  plan: pulumi.Output<BuildPlan>,
  registry: RegistryInputs,
  parent: pulumi.Resource,
): PreparedTarget {
  // The credentials are used here and kept nowhere: what comes out holds hashes and digests only.
  const access = pulumi.unsecret(
    pulumi.all([registry.server, registry.username, registry.password]).apply(([server, username, password]) => ({
      server,
      ...(username !== undefined && password !== undefined ? { username, password } : {}),
    })),
  );
  const read = pulumi.all([plan, access]).apply(async ([p, registryAccess]) =>
    prepareImage(p, registryAccess, {
      secret: await pulumi.isSecret(plan),
      warn: (message) => void pulumi.log.warn(message, parent),
      // Under a program's own mocks there is no engine (no address to reach one): no build, and
      // no registry to ask. (hasEngine() is false until something has asked for the engine.)
      ...(pulumi.runtime.getEngine() !== undefined ? { resolveImages: baseImageResolver(process.env) } : {}),
    }),
  );
  return { inputs: read.inputs, closureDockerfile: read.closureDockerfile, promote: read.apply((r) => r.promote) };
}

/**
 * `value`, made a Pulumi secret when `secret` resolves to true (values the plan's secrecy was
 * taken off, that something else makes secret again).
 * @internal
 */
export function secretIf<T>(value: pulumi.Output<T>, secret: pulumi.Input<boolean> | undefined): pulumi.Output<T> {
  return pulumi
    .all([value, secret ?? false])
    .apply(([v, s]) => (s ? pulumi.secret(v) : pulumi.output(v))) as pulumi.Output<T>;
}

/**
 * The credentials as a provider's inputs take them: the password always a Pulumi secret.
 * @internal
 */
export function secretCredentials(registry: RegistryInputs): RegistryInputs {
  return {
    server: registry.server,
    username: registry.username,
    password: registry.password === undefined ? undefined : pulumi.secret(registry.password),
  };
}
