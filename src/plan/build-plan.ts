/**
 * The build plan: the exact inputs one environment's image is built with (context,
 * Dockerfile, target, build args, tags, platform, cache) and the stage graph they
 * select. Pure; every back end hands a plan to its provider, the executor to the
 * Docker CLI, so they can be compared.
 */
import * as path from "path";
import { type Diagnostic, type ParseResult, stageGraph, stageLabel, throwOnErrors } from "../dockerfile";
import { classifyEnvironment, getEnvironmentArgs, parseSize, settingPath } from "./environments";
import { needsBuilder } from "./builder";
import { planBuildSettings } from "./build-settings";
import { planOutputs } from "./exports";
import { targetClosure } from "./closure";
import type { BuildPlanOptions } from "./options";
import type { BuildPlan } from "./plan-types";
import type { PlanScope } from "./scope";
import { planInputs, planVolatileArgs } from "./plan-inputs";
import { planTarget } from "./plan-target";
import { planMounts } from "./plan-mounts";
import { planCache, planCacheList } from "./plan-cache";
import { planPromotion } from "./plan-promotion";
import { planMetadata } from "./plan-metadata";
import { planEngineCheck, planSupplyChain } from "./plan-supply-chain";

export type { BuildPlan, PlannedStage } from "./plan-types";
export { DEFAULT_TEST_STAGES, defaultTestStage } from "./plan-mounts";

/** The Dockerfile a context and an optional `dockerfile` argument name, as an absolute path. */
export function resolveDockerfilePath(context: string, dockerfile?: string): string {
  return dockerfile ? path.resolve(dockerfile) : path.resolve(context, "Dockerfile");
}

/**
 * Make the plan for `options.environment` from a parsed Dockerfile, or throw a
 * `MultiStageError` naming every problem (parse errors, unknown target with the
 * closest names, missing args, cycles, the production guard, invalid tags…), each
 * with the input property at fault.
 */
export function planBuild(parsed: ParseResult, options: BuildPlanOptions): BuildPlan {
  const { model } = parsed;
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const env = options.environment;
  const { key, args: settings } = getEnvironmentArgs(env, options.environments);
  const kind = settings.kind ?? classifyEnvironment(env);
  const hasBuilder = options.builder !== undefined;
  const scope: PlanScope = { options, env, key, settings, kind, model, hasBuilder, diagnostics };
  // Each feature in turn, in the order its problems are reported.
  const { buildArgs, values, platforms, platformsProperty, builder, daemonless } = planInputs(scope);
  const { resolution, targetLabel, tagsFor } = planTarget(scope, buildArgs, values, platforms[0]);
  const { contexts, externalImages, testTarget, mounted } = planMounts(scope, resolution);
  const tags = tagsFor(targetLabel);
  const built = new Set(resolution.stages.map((s) => s.index));
  const cache = planCache(model, options, key, settings, targetLabel, platforms, built, diagnostics);
  const volatileArgs = planVolatileArgs(scope, values);
  const closure =
    parsed.text === undefined
      ? undefined
      : targetClosure(parsed.text, model, resolution, values, volatileArgs, contexts);
  const promotion = planPromotion(parsed, options, key, settings, kind, targetLabel, diagnostics, planBuild);
  const budget = settings.sizeBudget === undefined ? undefined : parseSize(settings.sizeBudget);
  const { labels, volatileLabels, annotations } = planMetadata(options, key, settings, targetLabel, diagnostics);
  const buildSettings = planBuildSettings(options, model, hasBuilder, diagnostics);
  const cacheFrom = planCacheList(scope, "from");
  const outputs = planOutputs(options, platforms, hasBuilder, diagnostics);
  if (options.reproducible && !hasBuilder)
    diagnostics.push(
      needsBuilder("reproducible", "cannot rewrite the image's timestamps", { or: ", or leave reproducible off" }),
    );
  const { release, attestations } = planSupplyChain(scope);
  planEngineCheck(scope, { platforms, platformsProperty, attestations, mounted });
  const cacheTo = planCacheList(scope, "to");

  const warnings = throwOnErrors(diagnostics, `environment "${env}"`);
  const context = path.resolve(options.context);
  return {
    environment: env,
    kind,
    context,
    dockerfile: resolveDockerfilePath(context, options.dockerfile),
    target: resolution.target.declaredName,
    targetStage: targetLabel,
    isFinalStage: resolution.isFinal,
    stages: resolution.stages.map(stageLabel),
    skippedStages: resolution.skipped.map(stageLabel),
    graph: stageGraph(model).map((node) => ({ ...node, built: built.has(node.index) })),
    buildArgs: values,
    consumedArgs: resolution.args.args.map((a) => a.name).filter((n) => Object.hasOwn(values, n)),
    platforms,
    ...(builder ? { builder } : {}),
    ...(cache ? { cache } : {}),
    attestations,
    ...(release ? { release } : {}),
    ...(daemonless ? { engine: options.engine } : {}),
    ssh: (options.ssh ?? []).map((s) => ({ id: s.id, paths: [...(s.paths ?? [])] })),
    secrets: [...(options.secrets ?? [])].sort(),
    ...(testTarget ? { testTarget } : {}),
    tags,
    cacheFrom,
    cacheTo,
    outputs,
    ...(options.reproducible ? { reproducible: { sourceDateEpoch: options.sourceDateEpoch ?? 0 } } : {}),
    externalImages,
    contexts,
    volatileArgs,
    labels,
    volatileLabels,
    annotations,
    settings: buildSettings,
    ...(closure ? { closure } : {}),
    ...(promotion ? { promotion } : {}),
    ...(budget !== undefined ? { sizeBudget: { bytes: budget, property: settingPath(key, "sizeBudget") } } : {}),
    warnings,
  };
}
