/**
 * `MultiStageImage`: one multi-stage Dockerfile, the right target per environment,
 * built with BuildKit, pushed to ECR, exported pinned by digest.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StageGraphNode } from "./dockerfile/graph";
import { stageGraph } from "./dockerfile/graph";
import { parseDockerfileFile } from "./dockerfile/parse";
import {
  type EnvironmentKind,
  type EnvironmentSettings,
  classifyEnvironment,
  environmentSettings,
} from "./environment";
import { detectGitSha } from "./git";
import { pinByDigest } from "./image-ref";
import type { BuildPlan } from "./plan";
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
  /** Allow build args whose names look like secrets (`*_TOKEN`, `*PASSWORD*`…); their values end up in the image history. */
  allowSecretLikeBuildArgs?: boolean;
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
  public readonly repository?: import("@pulumi/aws").ecr.Repository;
  /** The image resources, one per tag (the first is the primary). */
  public readonly images: docker.Image[];

  constructor(name: string, args: MultiStageImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE, name, {}, opts);
    const config = new pulumi.Config("multistage");
    const environment = args.environment ?? config.get("environment") ?? pulumi.getStack();
    const environments =
      args.environments ?? config.getObject<Record<string, EnvironmentSettings>>("environments") ?? {};
    const settings = environmentSettings(environment, environments);
    const kind = settings.kind ?? classifyEnvironment(environment);
    const movingTags = args.movingTags ?? [];
    checkRepositoryOptions(args.repository ?? {}, kind, movingTags);

    const request = (
      context: string,
      dockerfile: string | undefined,
      target: string | undefined,
      platform: string | undefined,
      buildArgs: Record<string, string | undefined>,
    ) => ({
      context,
      dockerfile,
      environment,
      environments,
      target,
      devTargets: args.devTargets,
      buildArgs: buildArgs as Record<string, string>,
      platform,
      tags: args.tags,
      allowSecretLikeBuildArgs: args.allowSecretLikeBuildArgs,
    });

    // Validate now when every input is known, so a bad target or arg fails at construction.
    const known = knownBuildArgs(args.buildArgs);
    if (isKnown(args.context) && isKnown(args.dockerfile) && isKnown(args.target) && isKnown(args.platform) && known) {
      planBuildFromFiles(request(args.context, args.dockerfile, args.target, args.platform, known));
    }

    const cacheFrom = pulumi.output(args.cacheFrom ?? []);
    const plan = pulumi
      .all([args.context, args.dockerfile, args.target, args.platform, pulumi.output(args.buildArgs ?? {}), cacheFrom])
      .apply(([context, dockerfile, target, platform, buildArgs, cache]) => {
        const p = planBuildFromFiles(request(context, dockerfile, target, platform, buildArgs));
        return { ...p, cacheFrom: cache };
      });

    // The plan without secret values: what outputs, tags and names derive from.
    const secretNames = secretBuildArgNames(args.buildArgs, args.allowSecretLikeBuildArgs ?? false);
    const publicPlan = pulumi.unsecret(
      pulumi.all([plan, secretNames]).apply(([p, names]) => ({ ...p, buildArgs: redact(p.buildArgs, new Set(names)) })),
    );

    const tagList = pulumi.all([publicPlan, pulumi.output(args.context)]).apply(([p, context]) =>
      releaseTags(p, {
        tagStrategy: args.tagStrategy,
        gitSha: args.gitSha ?? detectGitSha(context),
        version: args.version,
        movingTags,
      }),
    );

    const repo = ecrRepository(name, args.repository ?? {}, kind, this);
    this.repository = repo.repository;
    const registry = ecrCredentials(repo.repositoryUrl, this);

    // One image per tag: the primary builds and pushes; the others are cache hits pushed under other tags.
    const tagCount = 1 + (args.tags?.length ?? 0) + movingTags.length;
    this.images = [];
    for (let i = 0; i < tagCount; i++) {
      const imageName = pulumi
        .all([repo.repositoryUrl, tagList])
        .apply(([url, tags]) => (tags[i] ? `${url}:${tags[i]}` : `${url}:${tags[0]}`));
      const image = new docker.Image(
        i === 0 ? `${name}-image` : `${name}-image-${i}`,
        {
          imageName,
          build: plan.apply((p) => ({
            context: p.context,
            dockerfile: p.dockerfile,
            ...(p.target ? { target: p.target } : {}),
            args: p.buildArgs,
            ...(p.platform ? { platform: p.platform } : {}),
            builderVersion: "BuilderBuildKit" as const,
            ...(p.cacheFrom.length ? { cacheFrom: { images: p.cacheFrom } } : {}),
          })),
          registry,
          skipPush: pulumi.output(args.push ?? true).apply((push) => !push),
          buildOnPreview: args.buildOnPreview ?? false,
        },
        { parent: this, dependsOn: i === 0 ? [] : [this.images[0]] },
      );
      this.images.push(image);
    }
    const primary = this.images[0];

    this.repositoryUrl = repo.repositoryUrl;
    this.digest = primary.repoDigest.apply((d) => (d && d.includes("@") ? d.split("@")[1] : ""));
    this.imageUri = pulumi
      .all([repo.repositoryUrl, primary.repoDigest, primary.imageName, pulumi.output(args.push ?? true)])
      .apply(([url, repoDigest, imageName, push]) => (push && repoDigest ? pinByDigest(url, repoDigest) : imageName));
    this.tags = pulumi.all([repo.repositoryUrl, tagList]).apply(([url, tags]) => tags.map((t) => `${url}:${t}`));
    this.environment = pulumi.output(environment);
    this.environmentKind = pulumi.output(kind);
    this.target = publicPlan.apply((p) => p.targetStage);
    this.plan = publicPlan;
    this.buildArgs = publicPlan.apply((p) => p.buildArgs);
    this.stages = publicPlan.apply((p) => {
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
    });
  }
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
