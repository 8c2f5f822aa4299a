/** The target of a plan: the stage built, its args resolved, its guards, its tags. */
import {
  type Diagnostic,
  type DockerfileModel,
  MultiStageError,
  type TargetResolution,
  findStage,
  finalStage,
  resolveTarget,
  stageLabel,
  stageNames,
} from "../dockerfile";
import {
  DEFAULT_DEV_TARGETS,
  type EnvironmentArgs,
  type EnvironmentKind,
  getEnvironmentArgs,
  settingPath,
} from "./environments";
import { type BuildArgSource } from "./secrets";
import type { BuildPlanOptions } from "./options";
import { type TagSource, checkSharedTags, releaseTags } from "./tags";
import type { PlanScope } from "./scope";

/** The target to build and the property it comes from; a development environment without one gets a dev stage. */
export function chooseTarget(
  model: DockerfileModel,
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
  kind: EnvironmentKind,
  diagnostics: Diagnostic[],
): { target?: string; property?: string } {
  const env = options.environment;
  const image = options.image;
  if (image) {
    if (typeof image.target === "string")
      return { target: image.target, property: `additionalImages.${image.name}.target` };
    const entry = getEnvironmentArgs(env, Object.fromEntries(Object.keys(image.target).map((k) => [k, {}])));
    const target = image.target[entry.key];
    const property = `additionalImages.${image.name}.target.${entry.key}`;
    if (target === undefined) {
      diagnostics.push({
        severity: "error",
        code: "invalid-additional-image",
        property: `additionalImages.${image.name}.target`,
        message: `names no target for environment "${env}" (it has ${Object.keys(image.target).join(", ") || "none"}).`,
        hint: `Add "${env}" to its target map, or give one target for every environment.`,
      });
    }
    return { target, property };
  }
  if (options.target !== undefined) return { target: options.target, property: "target" };
  if (settings.target !== undefined) return { target: settings.target, property: settingPath(key, "target") };
  if (kind !== "development" || model.stages.length === 0) return {};
  const candidates = options.devTargets ?? DEFAULT_DEV_TARGETS;
  const target = candidates.find((c) => findStage(model, c) !== undefined);
  if (target === undefined) {
    diagnostics.push({
      severity: "error",
      code: "unknown-target",
      file: model.file,
      property: settingPath(key, "target"),
      message: `environment "${env}" is a development environment, but no stage is named ${candidates.map((c) => `"${c}"`).join(", ")}.`,
      hint: `Set ${settingPath(key, "target")} to one of: ${stageNames(model).join(", ") || "(no named stages)"}, or name a stage "dev".`,
    });
  }
  return { target, property: options.devTargets ? "devTargets" : settingPath(key, "target") };
}

/** An unset arg's warning as the production policy's error, saying how to build it empty anyway. */
export function unsetArgInProduction(d: Diagnostic, key: string): Diagnostic {
  if (d.code !== "missing-arg" || d.severity !== "warning") return d;
  return {
    ...d,
    severity: "error",
    message: d.message.replace(/; it expands to empty\.$/, "."),
    hint: `${d.hint ?? ""} Or set ${settingPath(key, "allowUnsetBuildArgs")} to build with it empty, as BuildKit does.`.trim(),
  };
}

/** Which input a resolution diagnostic is about: the target, or the build arg to pass. */
export function withProperty(
  d: Diagnostic,
  targetProperty: string | undefined,
  buildArgs: Readonly<Record<string, BuildArgSource>>,
): Diagnostic {
  if (d.code === "unknown-target" && targetProperty) return { ...d, property: targetProperty };
  if (d.code === "missing-arg" && d.arg) return { ...d, property: `buildArgs.${d.arg}` };
  if (d.code === "unknown-arg" && d.arg && buildArgs[d.arg]) return { ...d, property: buildArgs[d.arg].property };
  return d;
}

export function sourcesOf(tags: readonly string[] | undefined, property: string): TagSource[] {
  return (tags ?? []).map((tag, i) => ({ tag, property: `${property}[${i}]` }));
}
/**
 * The stage this environment builds, resolved with its args and platform: unset args (refused in
 * production), the release tags' checks, the production final-stage guard. Throws when there is
 * no such stage. `tagsFor` makes the release tags once the rest is checked.
 */
export function planTarget(
  scope: PlanScope,
  buildArgs: Readonly<Record<string, BuildArgSource>>,
  values: Readonly<Record<string, string>>,
  platform: string | undefined,
): { resolution: TargetResolution & { found: true }; targetLabel: string; tagsFor: (target?: string) => string[] } {
  const { options, env, key, settings, kind, model, diagnostics } = scope;
  const image = options.image;
  const chosen = chooseTarget(model, options, key, settings, kind, diagnostics);
  const resolution = resolveTarget(model, { target: chosen.target, buildArgs: values, platform });
  // BuildKit builds with an unset arg expanded to empty (and warns); production refuses it, a
  // policy of this package, unless the environment allows it.
  const strictArgs = kind === "production" && !settings.allowUnsetBuildArgs;
  diagnostics.push(
    ...resolution.diagnostics.map((d) =>
      withProperty(strictArgs ? unsetArgInProduction(d, key) : d, chosen.property, buildArgs),
    ),
  );
  const tagsFor = (target?: string): string[] =>
    releaseTags(
      target === undefined ? undefined : { env, target, gitSha: options.gitSha, version: options.version },
      {
        tagStrategy: options.tagStrategy,
        fixed: [...sourcesOf(options.tags, "tags"), ...sourcesOf(settings.tags, settingPath(key, "tags"))],
        moving: sourcesOf(options.movingTags, "movingTags"),
        prefix: image?.name,
        immutable: options.immutableTags,
      },
      diagnostics,
    );
  // Other environments of these args push to the same repository unless they share this one's image.
  const promotedWith = (name: string): boolean =>
    settings.promoteFrom === name || options.environments?.[name]?.promoteFrom === key;
  checkSharedTags(
    options.tagStrategy,
    env,
    Object.keys(options.environments ?? {}).filter((name) => name !== key && !promotedWith(name)),
    diagnostics,
  );
  if (!resolution.found) {
    tagsFor(undefined); // the fixed tags are wrong or right whatever the target
    // Not found only with an error diagnostic (unknown target, or no stage at all).
    throw new MultiStageError(diagnostics, `environment "${env}"`);
  }

  const targetLabel = stageLabel(resolution.target);
  const allowNonFinal = image !== undefined || settings.allowNonFinalTarget;
  if (kind === "production" && !resolution.isFinal && !allowNonFinal) {
    diagnostics.push({
      severity: "error",
      code: "non-final-target",
      file: model.file,
      line: resolution.target.line,
      stage: targetLabel,
      property: chosen.property,
      message: `production environment "${env}" would build stage "${targetLabel}", not the final stage "${stageLabel(finalStage(model))}".`,
      hint: `Remove the target for "${env}", or set ${settingPath(key, "allowNonFinalTarget")} if this is intended.`,
    });
  }
  return { resolution, targetLabel, tagsFor };
}
