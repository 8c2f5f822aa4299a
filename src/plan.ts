/**
 * The build plan: the exact inputs one environment's image is built with (context,
 * Dockerfile, target, build args, tags, platform, cache). Pure; the Pulumi layer
 * hands a plan to the provider, the executor hands it to the Docker CLI.
 */
import * as path from "path";
import { type Diagnostic, throwOnErrors } from "./dockerfile/diagnostics";
import { type DockerfileModel, stageLabel } from "./dockerfile/model";
import { findStage, resolveTarget, stageNames } from "./dockerfile/resolve";
import {
  DEFAULT_DEV_TARGETS,
  type EnvironmentKind,
  type EnvironmentSettings,
  classifyEnvironment,
  environmentSettings,
} from "./environment";
import { isPinnedReference, isValidTag } from "./image-ref";

/** What a plan is made from: the component's args with every input known. */
export interface BuildPlanRequest {
  /** Build context directory. */
  context: string;
  /** Dockerfile path, default `<context>/Dockerfile`. */
  dockerfile?: string;
  /** Environment (stack) name. */
  environment: string;
  /** Per-environment settings, keyed by environment name. */
  environments?: Readonly<Record<string, EnvironmentSettings>>;
  /** Target that wins over every environment default. */
  target?: string;
  /** Stage names tried for development environments when none is configured. */
  devTargets?: readonly string[];
  /** Build args for every environment (environment ones are merged over these). */
  buildArgs?: Readonly<Record<string, string>>;
  /** Tags for every environment (environment ones are added). */
  tags?: readonly string[];
  /** Target platform for every environment, unless the environment sets one. */
  platform?: string;
  /** Images whose layers may be reused (`--cache-from`). */
  cacheFrom?: readonly string[];
  /** Allow build args whose names look like secrets (they end up in the image history). */
  allowSecretLikeBuildArgs?: boolean;
}

/** Everything a builder needs, as plain data. */
export interface BuildPlan {
  environment: string;
  kind: EnvironmentKind;
  /** Absolute build context. */
  context: string;
  /** Absolute Dockerfile path. */
  dockerfile: string;
  /** `--target` to pass; `undefined` builds the final stage (only when it has no name). */
  target?: string;
  /** Label of the stage built (its name, or `#index`). */
  targetStage: string;
  /** True when the final stage is built. */
  isFinalStage: boolean;
  /** Stages BuildKit builds for this target, dependencies first. */
  stages: string[];
  /** Stages it skips. */
  skippedStages: string[];
  /** Build args passed to the build. */
  buildArgs: Record<string, string>;
  /** Names of args the target actually declares (the ones that can change the image). */
  consumedArgs: string[];
  /** Target platform, if set. */
  platform?: string;
  /** Tags to push (tags only, no repository). */
  tags: string[];
  /** `--cache-from` images. */
  cacheFrom: string[];
  /** Images from outside the Dockerfile the target uses (after arg substitution). */
  externalImages: string[];
  /** Non-fatal findings (unknown build args, unpinned bases outside production). */
  warnings: Diagnostic[];
}

const SECRET_LIKE = /(secret|token|passw(or)?d|passwd|api_?key|private_?key|credential|auth)/i;

/** True for build arg names that look like they hold secrets (`NPM_TOKEN`, `DB_PASSWORD`, …). */
export function isSecretLikeName(name: string): boolean {
  return SECRET_LIKE.test(name);
}

/**
 * Make the plan for `request.environment`, or throw a `MultiStageError` naming every
 * problem (unknown target with the closest names, missing args, cycles, production guard…).
 */
export function planBuild(
  model: DockerfileModel,
  request: BuildPlanRequest,
  parseDiagnostics: Diagnostic[] = [],
): BuildPlan {
  const file = model.file;
  const diagnostics: Diagnostic[] = [...parseDiagnostics];
  const env = request.environment;
  const settings = environmentSettings(env, request.environments);
  const kind = settings.kind ?? classifyEnvironment(env);
  const buildArgs: Record<string, string> = { ...(request.buildArgs ?? {}), ...(settings.buildArgs ?? {}) };
  const platform = settings.platform ?? request.platform;

  let target = request.target ?? settings.target;
  if (target === undefined && kind === "development" && model.stages.length > 0) {
    const candidates = request.devTargets ?? DEFAULT_DEV_TARGETS;
    target = candidates.find((c) => findStage(model, c) !== undefined);
    if (target === undefined) {
      diagnostics.push({
        severity: "error",
        code: "unknown-target",
        file,
        message: `environment "${env}" is a development environment, but no stage is named ${candidates.map((c) => `"${c}"`).join(", ")}.`,
        hint: `Set environments.${env}.target to one of: ${stageNames(model).join(", ") || "(no named stages)"}, or name a stage "dev".`,
      });
    }
  }

  for (const name of Object.keys(buildArgs)) {
    if (isSecretLikeName(name) && !request.allowSecretLikeBuildArgs) {
      diagnostics.push({
        severity: "error",
        code: "secret-build-arg",
        file,
        arg: name,
        message: `build arg ${name} looks like a secret; build arg values are stored in the image history and in the Pulumi state.`,
        hint: `Pass secrets as BuildKit secrets (RUN --mount=type=secret) instead, or set allowSecretLikeBuildArgs if ${name} is not secret.`,
      });
    }
  }

  const tags = [...new Set([...(request.tags ?? []), ...(settings.tags ?? [])])];
  for (const tag of tags) {
    if (!isValidTag(tag)) {
      diagnostics.push({
        severity: "error",
        code: "parse-error",
        message: `tag "${tag}" is not a valid image tag.`,
        hint: "Tags are up to 128 characters of letters, digits, '_', '.', '-', not starting with '.' or '-'.",
      });
    }
  }

  const resolution = resolveTarget(model, { target, buildArgs, platform });
  diagnostics.push(...resolution.diagnostics);
  if (resolution.target === undefined) {
    throwOnErrors(diagnostics, `environment "${env}"`);
    throw new Error("unreachable: unknown target without diagnostics");
  }

  const targetLabel = stageLabel(resolution.target);
  if (kind === "production" && !resolution.isFinal && !settings.allowNonFinalTarget) {
    diagnostics.push({
      severity: "error",
      code: "non-final-target",
      file,
      line: resolution.target.line,
      stage: targetLabel,
      message: `production environment "${env}" would build stage "${targetLabel}", not the final stage "${stageLabel(model.stages[model.stages.length - 1])}".`,
      hint: `Remove the target for "${env}", or set environments.${env}.allowNonFinalTarget if this is intended.`,
    });
  }
  for (const image of resolution.externalImages) {
    if (isPinnedReference(image)) continue;
    const strict = kind === "production" && !settings.allowUnpinnedBaseImages;
    const stage = resolution.stages.find((s) =>
      s.dependencies.some(
        (d) => d.kind === "image" && (d.image === image || resolution.args.baseImages.get(s.index) === image),
      ),
    );
    diagnostics.push({
      severity: strict ? "error" : "warning",
      code: "unpinned-base",
      file,
      line: stage?.line,
      stage: stage ? stageLabel(stage) : undefined,
      message: `image "${image}" is ${image.includes(":") && !image.includes("@") ? "tagged latest" : "not tagged"}, so each build may get a different image.`,
      hint: strict
        ? `Pin it to a version or digest (e.g. ${image.split(":")[0]}:1.2.3), or set environments.${env}.allowUnpinnedBaseImages.`
        : "Pin it to a version or digest before it reaches production.",
    });
  }

  const warnings = throwOnErrors(diagnostics, `environment "${env}"`);
  const context = path.resolve(request.context);
  return {
    environment: env,
    kind,
    context,
    dockerfile: request.dockerfile ? path.resolve(request.dockerfile) : path.join(context, "Dockerfile"),
    target: resolution.target.declaredName,
    targetStage: targetLabel,
    isFinalStage: resolution.isFinal,
    stages: resolution.stages.map(stageLabel),
    skippedStages: resolution.skipped.map(stageLabel),
    buildArgs,
    consumedArgs: resolution.args.args
      .map((a) => a.name)
      .filter((n) => Object.prototype.hasOwnProperty.call(buildArgs, n)),
    ...(platform ? { platform } : {}),
    tags,
    cacheFrom: [...(request.cacheFrom ?? [])],
    externalImages: resolution.externalImages,
    warnings,
  };
}
