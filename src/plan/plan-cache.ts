/** A plan's caches: the registry cache, and the entries of cacheFrom and cacheTo. */
import { chooseTarget } from "./plan-target";
import { choosePlatforms } from "./plan-inputs";
import { type Diagnostic, type DockerfileModel, findStage, finalStage, resolveTarget, stageLabel } from "../dockerfile";
import { type EnvironmentArgs, classifyEnvironment, getEnvironmentArgs, settingPath } from "./environments";
import { type CacheSpec, cacheTag, registryCacheEnabled } from "./builder";
import { planCacheEntries } from "./cache-entries";
import type { BuildPlanOptions } from "./options";
import type { PlanScope } from "./scope";

/**
 * The registry cache of this build: exported to `cache-<target>-<env>`, read from there and
 * from the caches of other environments whose targets share a stage with this one (production
 * reads what dev's builder stage exported, and the other way round).
 */
export function planCache(
  model: DockerfileModel,
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
  targetLabel: string,
  platforms: readonly string[],
  built: ReadonlySet<number>,
  diagnostics: Diagnostic[],
): CacheSpec | undefined {
  const global = options.registryCache;
  if (!registryCacheEnabled(global, settings.registryCache, options.builder !== undefined)) return undefined;
  const property = settings.registryCache !== undefined ? settingPath(key, "registryCache") : "registryCache";
  if (options.builder === undefined) {
    diagnostics.push({
      severity: "warning",
      code: "invalid-cache",
      property,
      message:
        "a registry cache needs a builder that exports caches; the Docker engine's own builder does only with the containerd image store.",
      hint: "Set builder to a buildx builder or a BuildKit endpoint, or turn registryCache off.",
    });
  }
  const settingsOf = typeof global === "object" ? global : {};
  const own = cacheTag(targetLabel, options.environment, platforms);
  const from = [own];
  const others =
    settingsOf.fromEnvironments === false
      ? []
      : (Array.isArray(settingsOf.fromEnvironments)
          ? settingsOf.fromEnvironments
          : Object.keys(options.environments ?? {})
        ).filter((e) => e !== key);
  if (!options.image) {
    for (const other of others) {
      const otherSettings = getEnvironmentArgs(other, options.environments).args;
      const otherKind = otherSettings.kind ?? classifyEnvironment(other);
      const chosen = chooseTarget(model, { ...options, environment: other }, other, otherSettings, otherKind, []);
      const stage = chosen.target === undefined ? finalStage(model) : findStage(model, chosen.target);
      if (!stage) continue;
      // Another platform's layers are no use here: where both name their platforms, a cache is
      // read only when it holds every platform this build makes (the builder's own may be any).
      const otherPlatforms = choosePlatforms(options, other, otherSettings).platforms;
      if (platforms.length && otherPlatforms.length && !platforms.every((p) => otherPlatforms.includes(p))) continue;
      const otherArgs = { ...options.buildArgs, ...otherSettings.buildArgs };
      const closure = resolveTarget(model, { target: chosen.target, buildArgs: otherArgs });
      if (!closure.found || !closure.stages.some((s) => built.has(s.index))) continue;
      const tag = cacheTag(stageLabel(stage), other, otherPlatforms);
      if (!from.includes(tag)) from.push(tag);
    }
  }
  const perPlatform =
    platforms.length > 1
      ? Object.fromEntries(
          platforms.map((p) => {
            const tag = cacheTag(targetLabel, options.environment, [p]);
            return [p, { to: tag, from: [tag, ...from] }];
          }),
        )
      : undefined;
  return { to: own, from, mode: settingsOf.mode ?? "max", ...(perPlatform ? { platforms: perPlatform } : {}) };
}
/** `cacheFrom` or `cacheTo`: the common entries, then the environment's, each checked. */
export function planCacheList(scope: PlanScope, direction: "from" | "to"): string[] {
  const { options, settings, key, hasBuilder, diagnostics } = scope;
  const name = direction === "from" ? "cacheFrom" : "cacheTo";
  return [
    ...planCacheEntries(options[name] ?? [], direction, name, hasBuilder, diagnostics),
    ...planCacheEntries(settings[name] ?? [], direction, settingPath(key, name), hasBuilder, diagnostics),
  ];
}
