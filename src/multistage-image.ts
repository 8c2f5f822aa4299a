/**
 * `MultiStageImage`: one multi-stage Dockerfile, the right target per environment,
 * built with BuildKit, pushed to ECR, exported pinned by digest.
 */
import type * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StageGraphNode } from "./dockerfile/graph";
import { stageGraph } from "./dockerfile/graph";
import { formatDiagnostic } from "./dockerfile/diagnostics";
import { parseDockerfileFile } from "./dockerfile/parse";
import {
  type EnvironmentKind,
  type EnvironmentSettings,
  classifyEnvironment,
  environmentSettings,
  mergeEnvironments,
} from "./environment";
import { detectGitSha } from "./git";
import { isValidTag, pinByDigest } from "./image-ref";
import type { BuildPlan, BuildPlanRequest } from "./plan";
import { isSecretLikeName } from "./plan";
import { planBuildFromFiles } from "./plan-files";
import { type RepositoryOptions, checkRepositoryOptions, ecrCredentials, ecrRepository } from "./repository";
import { type TagStrategy, releaseTags } from "./tags";

/** Arguments of `MultiStageImage`. */
export interface MultiStageImageArgs {
  /** Build context directory (relative to the Pulumi program). */
  context: pulumi.Input<string>;
  /** Dockerfile path (relative to the Pulumi program). Default: `<context>/Dockerfile`. */
  dockerfile?: pulumi.Input<string>;
  /**
   * Environment to build for. Default: config `multistage:environment`, else the stack name
   * (`pulumi.getStack()`). Names like `dev`/`local` are development, `prod`/`production`
   * are production, anything else builds like production without its guard.
   */
  environment?: string;
  /**
   * Per-environment settings (target, build args, tags, platform, production overrides),
   * keyed by environment name. Stack config `multistage:environments` is merged over these.
   */
  environments?: Record<string, EnvironmentSettings>;
  /** Stage to build in every environment, overriding the environment defaults. */
  target?: pulumi.Input<string>;
  /** Stage names tried for development environments with no configured target. Default `dev`, `development`, `develop`, `builder`, `build`. */
  devTargets?: string[];
  /** Build args for every environment; the environment's own are merged over them. Values must not be secrets. */
  buildArgs?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Target platform (e.g. `linux/amd64`), unless the environment sets one. */
  platform?: pulumi.Input<string>;
  /** ECR repository: created by default; `{ existing }` adopts one by name or URL. */
  repository?: RepositoryOptions;
  /** How tags are made: template (`"{env}-{gitShortSha}"`) or function. Default `{env}-{gitShortSha}` (or `{env}-{target}` without git). */
  tagStrategy?: TagStrategy;
  /** Extra fixed tags for every environment (a fixed list: each tag is a resource). */
  tags?: string[];
  /** Tags moved on every release, e.g. `["latest"]`. Never the only reference; refused on IMMUTABLE repositories. */
  movingTags?: string[];
  /** Commit of the source, for `{gitSha}`. Default: CI variables, then `git rev-parse HEAD` in the context. */
  gitSha?: string;
  /** Release version for `{version}` tags. */
  version?: string;
  /** Images to reuse layers from (`--cache-from`), e.g. the repository's previous release. */
  cacheFrom?: pulumi.Input<string>[];
  /** Push to the repository. Default `true`; `false` builds only (then `imageUri` is the local tag). */
  push?: pulumi.Input<boolean>;
  /** Build during `pulumi preview` too (slower, catches build errors earlier). Default `false`. */
  buildOnPreview?: pulumi.Input<boolean>;
  /**
   * More targets of the same Dockerfile to publish in every environment, keyed by a short
   * name used as tag prefix (`migrations-production-<sha>`). They share the repository, the
   * credentials and the builder's cache with the main image; the production final-stage
   * guard does not apply to them, since their target is named explicitly.
   */
  additionalImages?: Record<string, AdditionalImageArgs>;
  /** Allow build args whose names look like secrets (`*_TOKEN`, `*PASSWORD*`…); their values end up in the image history. */
  allowSecretLikeBuildArgs?: boolean;
}

/** Another target of the same Dockerfile, published to the same repository (e.g. `migrations`). */
export interface AdditionalImageArgs {
  /** Stage to build: one name for every environment, or a name per environment. */
  target: string | Record<string, string>;
  /** Build args merged over the component's (and the environment's) for this image. */
  buildArgs?: Record<string, pulumi.Input<string>>;
}

/** One published image of an `additionalImages` entry. */
export interface PublishedImage {
  /** Digest-pinned reference (`<repo>@sha256:…`). */
  imageUri: string;
  /** Stage built. */
  target: string;
  /** Tagged references pushed. */
  tags: string[];
}

const TYPE = "multistage:index:MultiStageImage";

/** Placeholder shown instead of a secret build arg's value. */
export const REDACTED = "[secret]";

export class MultiStageImage extends pulumi.ComponentResource {
  /** Digest-pinned reference (`<repo>@sha256:…`): what ECS and Kubernetes should run. */
  public readonly imageUri: pulumi.Output<string>;
  /** The image digest (`sha256:…`). */
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
  public readonly stages: pulumi.Output<Array<StageGraphNode & { built: boolean }>>;
  /** Build args used; values of secret-like or secret args replaced by `[secret]`. */
  public readonly buildArgs: pulumi.Output<Record<string, string>>;
  /** The build plan handed to the builder (context, Dockerfile, target, args names, tags, platform, cache). */
  public readonly plan: pulumi.Output<BuildPlan>;
  /** The ECR repository, when this component created it. */
  public readonly repository?: aws.ecr.Repository;
  /** The image resources, one per tag (the first is the primary). */
  public readonly images: docker.Image[];
  /** The `additionalImages`, by name: digest-pinned URI, stage built and tags. */
  public readonly additionalImages: pulumi.Output<Record<string, PublishedImage>>;

  constructor(name: string, args: MultiStageImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE, name, {}, opts);
    const config = new pulumi.Config("multistage");
    const environment = args.environment ?? config.get("environment") ?? pulumi.getStack();
    const environments = mergeEnvironments(
      args.environments ?? {},
      config.getObject<Record<string, EnvironmentSettings>>("environments") ?? {},
    );
    const kind = environmentSettings(environment, environments).kind ?? classifyEnvironment(environment);
    const movingTags = args.movingTags ?? [];
    checkRepositoryOptions(args.repository ?? {}, kind, movingTags);
    for (const variant of Object.keys(args.additionalImages ?? {})) {
      if (!isValidTag(variant))
        throw new Error(`additionalImages key "${variant}" must be usable as a tag prefix (letters, digits, _ . -).`);
    }

    const main = this.planImage(args, environment, environments, {});
    const repo = ecrRepository(name, args.repository ?? {}, kind, this);
    this.repository = repo.repository;
    const registry = ecrCredentials(repo.repositoryUrl, this);
    const push = pulumi.output(args.push ?? true);
    const published = this.publish(`${name}-image`, main, repo.repositoryUrl, registry, push, args, []);
    this.images = published.images;

    const extras: Record<string, pulumi.Output<PublishedImage>> = {};
    for (const [variant, extra] of Object.entries(args.additionalImages ?? {})) {
      const target = typeof extra.target === "string" ? extra.target : extra.target[environment];
      if (target === undefined) {
        throw new Error(
          `additionalImages.${variant} names no target for environment "${environment}"; add "${environment}" to its target map (${Object.keys(extra.target).join(", ")}).`,
        );
      }
      const planned = this.planImage(args, environment, environments, { target, buildArgs: extra.buildArgs, variant });
      const out = this.publish(`${name}-${variant}`, planned, repo.repositoryUrl, registry, push, args, [
        this.images[0],
      ]);
      extras[variant] = pulumi
        .all([out.imageUri, planned.publicPlan, out.references])
        .apply(([imageUri, p, tags]) => ({ imageUri, target: p.targetStage, tags }));
    }
    this.additionalImages = pulumi.output(extras);

    this.repositoryUrl = repo.repositoryUrl;
    this.imageUri = published.imageUri;
    this.digest = published.imageUri.apply((u) => (u.includes("@") ? u.split("@")[1] : ""));
    this.tags = published.references;
    this.environment = pulumi.output(environment);
    this.environmentKind = pulumi.output(kind);
    this.target = main.publicPlan.apply((p) => p.targetStage);
    this.plan = main.publicPlan;
    this.buildArgs = main.publicPlan.apply((p) => p.buildArgs);
    this.stages = main.publicPlan.apply((p) => {
      const { model } = parseDockerfileFile(p.dockerfile);
      const built = new Set(p.stages);
      return stageGraph(model).map((node) => ({ ...node, built: built.has(node.name ?? `#${node.index}`) }));
    });

    this.registerOutputs({
      imageUri: this.imageUri,
      digest: this.digest,
      repositoryUrl: this.repositoryUrl,
      tags: this.tags,
      environment: this.environment,
      environmentKind: this.environmentKind,
      target: this.target,
      stages: this.stages,
      buildArgs: this.buildArgs,
      plan: this.plan,
      additionalImages: this.additionalImages,
    });
  }

  /**
   * Plan one image: validated now when every input is known (so a bad target or arg fails
   * at construction), and again as an Output for inputs known later.
   */
  private planImage(
    args: MultiStageImageArgs,
    environment: string,
    environments: Record<string, EnvironmentSettings>,
    variant: { target?: string; buildArgs?: Record<string, pulumi.Input<string>>; variant?: string },
  ): PlannedImage {
    const envs = variant.variant
      ? mergeEnvironments(environments, { [environment]: { allowNonFinalTarget: true } })
      : environments;
    const request = (
      context: string,
      dockerfile: string | undefined,
      target: string | undefined,
      platform: string | undefined,
      buildArgs: Record<string, string | undefined>,
    ): BuildPlanRequest => ({
      context,
      dockerfile,
      environment,
      environments: envs,
      target: variant.target ?? target,
      devTargets: args.devTargets,
      buildArgs: buildArgs as Record<string, string>,
      platform,
      tags: args.tags,
      allowSecretLikeBuildArgs: args.allowSecretLikeBuildArgs,
    });
    const argsInput = variant.buildArgs
      ? pulumi
          .all([pulumi.output(args.buildArgs ?? {}), pulumi.output(variant.buildArgs)])
          .apply(([a, b]) => ({ ...a, ...b }))
      : pulumi.output(args.buildArgs ?? {});

    const tagsOf = (p: BuildPlan, context: string): string[] =>
      releaseTags(p, {
        tagStrategy: args.tagStrategy,
        gitSha: args.gitSha ?? detectGitSha(context),
        version: args.version,
        movingTags: args.movingTags,
      }).map((t) => (variant.variant ? `${variant.variant}-${t}` : t));
    // Each tag is a resource, so their number must be known now: from the plan when the
    // inputs are, else from the fixed tags (a template strategy makes one tag).
    const settings = environmentSettings(environment, envs);
    let tagCount = new Set(["(strategy)", ...(args.tags ?? []), ...(settings.tags ?? []), ...(args.movingTags ?? [])])
      .size;

    const known = knownBuildArgs(args.buildArgs);
    const knownVariant = knownBuildArgs(variant.buildArgs);
    if (
      isKnown(args.context) &&
      isKnown(args.dockerfile) &&
      isKnown(args.target) &&
      isKnown(args.platform) &&
      known &&
      knownVariant
    ) {
      const now = planBuildFromFiles(
        request(args.context, args.dockerfile, args.target, args.platform, { ...known, ...knownVariant }),
      );
      tagCount = tagsOf(now, args.context).length;
    }
    const plan = pulumi
      .all([args.context, args.dockerfile, args.target, args.platform, argsInput, pulumi.output(args.cacheFrom ?? [])])
      .apply(([context, dockerfile, target, platform, buildArgs, cache]) => {
        const planned = planBuildFromFiles(request(context, dockerfile, target, platform, buildArgs));
        // Unknown build args, unpinned bases outside production: shown in `pulumi up`, kept in `plan.warnings`.
        for (const warning of planned.warnings) pulumi.log.warn(formatDiagnostic(warning), this);
        return { ...planned, cacheFrom: cache };
      });

    // The plan without secret values: what outputs, tags and names derive from.
    const secretNames = secretBuildArgNames(
      { ...(isKnown(args.buildArgs) ? args.buildArgs : {}), ...(variant.buildArgs ?? {}) },
      args.allowSecretLikeBuildArgs ?? false,
    );
    const publicPlan = pulumi.unsecret(
      pulumi.all([plan, secretNames]).apply(([p, names]) => ({ ...p, buildArgs: redact(p.buildArgs, new Set(names)) })),
    );
    const tags = pulumi.all([publicPlan, pulumi.output(args.context)]).apply(([p, context]) => {
      const list = tagsOf(p, context);
      if (list.length > tagCount) {
        throw new Error(
          `the tag strategy made ${list.length} tags (${list.join(", ")}) but only ${tagCount} could be planned before the inputs were known; use a template tagStrategy, or pass context, dockerfile, target and buildArgs as plain values.`,
        );
      }
      return list;
    });
    return { plan, publicPlan, tags, tagCount };
  }

  /** One `docker.Image` per tag: the first builds and pushes, the others are cache hits pushed under other tags. */
  private publish(
    resourceName: string,
    planned: PlannedImage,
    repositoryUrl: pulumi.Output<string>,
    registry: ReturnType<typeof ecrCredentials>,
    push: pulumi.Output<boolean>,
    args: MultiStageImageArgs,
    dependsOn: pulumi.Resource[],
  ): { images: docker.Image[]; imageUri: pulumi.Output<string>; references: pulumi.Output<string[]> } {
    const images: docker.Image[] = [];
    const build = planned.plan.apply((p) => ({
      context: p.context,
      dockerfile: p.dockerfile,
      ...(p.target ? { target: p.target } : {}),
      args: p.buildArgs,
      ...(p.platform ? { platform: p.platform } : {}),
      builderVersion: "BuilderBuildKit" as const,
      ...(p.cacheFrom.length ? { cacheFrom: { images: p.cacheFrom } } : {}),
    }));
    for (let i = 0; i < planned.tagCount; i++) {
      const imageName = pulumi
        .all([repositoryUrl, planned.tags])
        .apply(([url, tags]) => `${url}:${tags[Math.min(i, tags.length - 1)]}`);
      images.push(
        new docker.Image(
          i === 0 ? resourceName : `${resourceName}-${i}`,
          {
            imageName,
            build,
            registry,
            skipPush: push.apply((p) => !p),
            buildOnPreview: args.buildOnPreview ?? false,
          },
          { parent: this, dependsOn: i === 0 ? dependsOn : [images[0]] },
        ),
      );
    }
    const primary = images[0];
    const imageUri = pulumi
      .all([repositoryUrl, primary.repoDigest, primary.imageName, push])
      .apply(([url, repoDigest, imageName, doPush]) =>
        doPush && repoDigest ? pinByDigest(url, repoDigest) : imageName,
      );
    const references = pulumi.all([repositoryUrl, planned.tags]).apply(([url, tags]) => tags.map((t) => `${url}:${t}`));
    return { images, imageUri, references };
  }
}

interface PlannedImage {
  /** The plan with real build-arg values (secret where any value is). */
  plan: pulumi.Output<BuildPlan>;
  /** The plan with secret values redacted: for outputs and names. */
  publicPlan: pulumi.Output<BuildPlan>;
  /** Tags (without repository). */
  tags: pulumi.Output<string[]>;
  /** How many tags (one `docker.Image` each); known at construction. */
  tagCount: number;
}

function isKnown<T>(value: pulumi.Input<T> | undefined): value is T {
  return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/** Build arg names with their values where known now (`undefined` = an Output, known later); `undefined` when the record itself is an Output. */
function knownBuildArgs(buildArgs: MultiStageImageArgs["buildArgs"]): Record<string, string | undefined> | undefined {
  if (buildArgs === undefined) return {};
  if (!isKnown(buildArgs)) return undefined;
  const known: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(buildArgs)) known[name] = isKnown(value) ? value : undefined;
  return known;
}

function redact(buildArgs: Record<string, string>, secret: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(buildArgs).map(([k, v]) => [k, secret.has(k) || isSecretLikeName(k) ? REDACTED : v]),
  );
}

/** Names of build args whose values are Pulumi secrets; refused (they would reach the image history) unless allowed. */
function secretBuildArgNames(
  buildArgs: MultiStageImageArgs["buildArgs"],
  allowSecrets: boolean,
): pulumi.Output<string[]> {
  return pulumi.output(buildArgs ?? {}).apply(async () => {
    const names = new Set<string>();
    const record = isKnown(buildArgs) ? (buildArgs ?? {}) : {};
    for (const [name, value] of Object.entries(record)) {
      if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value as pulumi.Output<string>))) names.add(name);
    }
    if (names.size && !allowSecrets) {
      throw new Error(
        `build arg(s) ${[...names].join(", ")} hold Pulumi secrets; build arg values are stored in the image history. Use BuildKit secrets (RUN --mount=type=secret), or set allowSecretLikeBuildArgs to accept this.`,
      );
    }
    return [...names];
  });
}
