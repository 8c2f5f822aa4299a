/**
 * `MultiStageImage`: one multi-stage Dockerfile, the right target per environment,
 * built with BuildKit, pushed to ECR, exported pinned by digest.
 *
 * The constructor reads top to bottom as the data flows:
 * resolve (args + stack config → spec) → plan (pure, once) → push target → publish (back end) → outputs.
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ImageSize } from "../registry";
import { BACKENDS, DEFAULT_BACKEND, type ImageResourceHost, type PublishedImage } from "../backends";
import { type BuildPlan, type EnvironmentKind, type PlannedStage, digestOf } from "../plan";
import type { MultiStageImageArgs } from "./args";
import { type PlannedImage, planImages } from "./images";
import { resolveSpec } from "./spec";
import { createPushTarget } from "./target";

/** One published image of an `additionalImages` entry. */
export interface AdditionalImageOutput {
  /** Digest-pinned reference (`<repo>@sha256:…`). */
  imageUri: string;
  /** Stage built. */
  target: string;
  /** Tagged references pushed. */
  tags: string[];
}

export class MultiStageImage extends pulumi.ComponentResource {
  /** Digest-pinned reference (`<repo>@sha256:…`): what ECS and Kubernetes should run. */
  public readonly imageUri: pulumi.Output<string>;
  /** The image digest (`sha256:…`); empty when not pushed. */
  public readonly digest: pulumi.Output<string>;
  /** Repository URL without tag. */
  public readonly repositoryUrl: pulumi.Output<string>;
  /** Full tagged references pushed (`<repo>:<tag>`), for people; prefer `imageUri`. */
  public readonly tags: pulumi.Output<string[]>;
  /** Environment this image was built for. */
  public readonly environment: pulumi.Output<string>;
  /** Kind of that environment. */
  public readonly environmentKind: pulumi.Output<EnvironmentKind>;
  /** Stage built (its name, or `#index` for an unnamed final stage). */
  public readonly target: pulumi.Output<string>;
  /** The Dockerfile's stage graph, each stage marked with whether this target builds it. */
  public readonly stages: pulumi.Output<PlannedStage[]>;
  /** Build args used; values of secret-like or secret args replaced by `[secret]`. */
  public readonly buildArgs: pulumi.Output<Record<string, string>>;
  /** The build plan handed to the back end, secret values redacted. */
  public readonly plan: pulumi.Output<BuildPlan>;
  /**
   * Why the image was last built: which stage changed and through which file, arg or base
   * image (`stage "build": src/server.js changed; …`), `reused: …` when the registry already
   * held an image with the same inputs, `first build: …`. Reported by the `docker-cli` back
   * end; `undefined` on the others, whose providers do not tell.
   */
  public readonly rebuildReason: pulumi.Output<string | undefined>;
  /**
   * The image's size as the registry stores it (compressed layers and config; for an index,
   * its largest platform) and its largest layers with the instruction that made each.
   * Reported by the `docker-cli` back end; `undefined` with the others.
   */
  public readonly size: pulumi.Output<ImageSize | undefined>;
  /** The ECR repository, when this component created it. */
  public readonly repository?: aws.ecr.Repository;
  /** The back end's image resources for the main image (`docker-build`: one; `docker`: one per tag, the first builds). */
  public readonly images: pulumi.CustomResource[];
  /** The `additionalImages`, by name: digest-pinned URI, stage built and tags. */
  public readonly additionalImages: pulumi.Output<Record<string, AdditionalImageOutput>>;

  constructor(name: string, args: MultiStageImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("multistage:index:MultiStageImage", name, {}, opts);
    const spec = resolveSpec(name, args, new pulumi.Config("multistage"), pulumi.getStack());
    const planned = planImages(spec, this);
    const plans = [planned.main, ...Object.values(planned.additional)].map((image) => image.plan);
    const target = createPushTarget(spec, args, this, pulumi.all(plans));
    const backend = BACKENDS[args.backend ?? DEFAULT_BACKEND];
    const secrets = args.secrets && Object.keys(args.secrets).length ? pulumi.secret(args.secrets) : undefined;
    const key = args.signing?.key;
    const signing =
      key === undefined
        ? undefined
        : pulumi.secret(
            pulumi.all([key, args.signing?.keyPassword]).apply(([k, keyPassword]) => ({
              key: k,
              ...(keyPassword === undefined ? {} : { keyPassword }),
            })),
          );
    const publish = (resourceName: string, image: PlannedImage, dependsOn?: pulumi.Resource[]): PublishedImage =>
      backend.publish({
        name: resourceName,
        plan: image.plan,
        tagCount: image.tagCount,
        repositoryUrl: target.repositoryUrl,
        registry: target.credentials,
        push: args.push ?? true,
        buildOnPreview: args.buildOnPreview ?? false,
        secrets,
        signing,
        deletePushedImages: args.deletePushedImages === true,
        testTarget: image.testTarget,
        secretCacheRefs: image.secretCacheRefs,
        tagsSecret: image.tagsSecret,
        parent: this,
        dependsOn,
        imageResource: this.imageResourceHost(),
      });
    const main = publish(`${name}-image`, planned.main);
    const extras = Object.entries(planned.additional).map(([key, image]) => {
      const published = publish(`${name}-${key}`, image, [main.resources[0]]);
      return [key, additionalImageOutput(published, image)] as const;
    });

    this.repository = target.repository;
    this.images = main.resources;
    this.imageUri = main.imageUri;
    this.digest = main.imageUri.apply((uri) => digestOf(uri) ?? "");
    this.repositoryUrl = target.repositoryUrl;
    this.tags = main.references;
    this.environment = pulumi.output(spec.environment);
    this.environmentKind = pulumi.output(spec.kind);
    this.plan = planned.main.publicPlan;
    this.target = this.plan.targetStage;
    this.stages = this.plan.graph;
    this.buildArgs = this.plan.buildArgs;
    this.additionalImages = pulumi.output(Object.fromEntries(extras));
    this.size = main.size ?? pulumi.output(undefined);
    this.rebuildReason = main.rebuildReason ?? pulumi.output(undefined);
    this.registerOutputs(componentOutputs(this));
  }

  /**
   * Who serves the image resources: the dynamic provider in a TypeScript program; the package's
   * provider overrides this for the components it constructs for other languages.
   * @internal
   */
  protected imageResourceHost(): ImageResourceHost {
    return "dynamic";
  }
}

/** The component's outputs by name: what it registers, and what its package provider returns from `construct`. */
export function componentOutputs(
  component: MultiStageImage,
): Record<(typeof COMPONENT_OUTPUTS)[number], pulumi.Output<unknown>> {
  return Object.fromEntries(COMPONENT_OUTPUTS.map((name) => [name, component[name]])) as Record<
    (typeof COMPONENT_OUTPUTS)[number],
    pulumi.Output<unknown>
  >;
}

/** The component's Output properties (not `repository` and `images`, which are resources). */
export const COMPONENT_OUTPUTS = [
  "imageUri",
  "digest",
  "repositoryUrl",
  "tags",
  "environment",
  "environmentKind",
  "target",
  "stages",
  "buildArgs",
  "plan",
  "additionalImages",
  "rebuildReason",
  "size",
] as const satisfies ReadonlyArray<keyof MultiStageImage>;

function additionalImageOutput(published: PublishedImage, image: PlannedImage): pulumi.Output<AdditionalImageOutput> {
  return pulumi
    .all([published.imageUri, image.publicPlan.targetStage, published.references])
    .apply(([imageUri, target, tags]) => ({ imageUri, target, tags }));
}
