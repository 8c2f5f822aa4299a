/** A plan that promotes another environment's image (`promoteFrom`). */
import { type Diagnostic, MultiStageError, type ParseResult, didYouMean } from "../dockerfile";
import {
  type EnvironmentArgs,
  type EnvironmentKind,
  classifyEnvironment,
  getEnvironmentArgs,
  settingPath,
} from "./environments";
import { parseImageReference, repositoryProblem } from "./image-ref";
import type { BuildPlanOptions } from "./options";
import type { BuildPlan } from "./plan-types";

/** Environment names common enough that a name one letter off them is a typo. */
const USUAL_ENVIRONMENTS = [
  "dev",
  "development",
  "test",
  "qa",
  "uat",
  "stage",
  "staging",
  "preprod",
  "prod",
  "production",
];

/**
 * The plan of the environment `promoteFrom` names, when set (its own `promoteFrom` is not
 * followed). The source must not be a misspelling of an entry or of a usual environment name,
 * must build the same target, and (for a production environment) must not be a development
 * one and must pass production's guards.
 */
export function planPromotion(
  parsed: ParseResult,
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
  kind: EnvironmentKind,
  targetLabel: string,
  diagnostics: Diagnostic[],
  planBuild: (parsed: ParseResult, options: BuildPlanOptions) => BuildPlan,
): BuildPlan["promotion"] {
  const from = settings.promoteFrom;
  if (from === undefined || options.image) return undefined;
  const property = settingPath(key, "promoteFrom");
  const refuse = (at: string, message: string, hint: string): undefined => {
    diagnostics.push({ severity: "error", code: "invalid-environment", property: at, message, hint });
    return undefined;
  };
  if (from === options.environment || from === key)
    return refuse(
      property,
      `environment "${options.environment}" cannot promote its own image.`,
      'Name the environment whose tested image this one should take, e.g. promoteFrom: "staging".',
    );
  // A name of no entry is fine (its stack builds with the defaults) unless it is one letter
  // off an entry or a usual environment name: then it is a typo that would find no image.
  const known = Object.keys(options.environments ?? {}).filter((k) => k !== key);
  const close = known.includes(from) ? "" : didYouMean(from, [...new Set([...known, ...USUAL_ENVIRONMENTS])]);
  if (close && !USUAL_ENVIRONMENTS.includes(from))
    return refuse(
      property,
      `"${from}" is not an environment of environments (${known.join(", ") || "none"}), nor a usual environment name.${close}`,
      `Name the environment whose stack pushed the image, or add environments["${from}"] if that is its name.`,
    );
  const repository = settings.promoteRepository;
  if (
    repository !== undefined &&
    (repositoryProblem(repository) || parseImageReference(repository).registry === undefined)
  )
    return refuse(
      settingPath(key, "promoteRepository"),
      `"${repository}" is not a repository (<registry host>/<path>, lower case, no tag).`,
      'Write it as the source image\'s repository, e.g. "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app".',
    );
  const { key: sourceKey, args: sourceSettings } = getEnvironmentArgs(from, options.environments);
  const sourceKind = sourceSettings.kind ?? classifyEnvironment(from);
  if (kind === "production" && sourceKind === "development")
    return refuse(
      property,
      `production environment "${options.environment}" cannot take the image of "${from}", a development environment (its target and build args are for development).`,
      'Promote from an environment that builds what production runs (e.g. staging), or set that environment\'s kind: "staging" if it does.',
    );
  const environments = {
    ...options.environments,
    [sourceKey]: { ...sourceSettings, promoteFrom: undefined, promoteRepository: undefined },
  };
  try {
    const source = planBuild(parsed, { ...options, environment: from, environments });
    if (source.targetStage !== targetLabel)
      return refuse(
        property,
        `"${from}" builds stage "${source.targetStage}", but "${options.environment}" builds stage "${targetLabel}": promoting would ship a different stage under this environment's tags.`,
        `Give both the same target (${settingPath(sourceKey, "target")}), or remove promoteFrom.`,
      );
    // The image production takes must have passed production's guards when it was built.
    if (kind === "production" && sourceKind !== "production")
      planBuild(parsed, { ...options, environment: from, environments: withGuards(environments, sourceKey, settings) });
    return { from, ...(repository ? { repository } : {}), source };
  } catch (err) {
    if (!(err instanceof MultiStageError)) throw err;
    diagnostics.push(...err.diagnostics.map((d) => ({ ...d, message: `${property} "${from}": ${d.message}` })));
    return undefined;
  }
}

/** `environments` with the source's entry held to production's guards: production's own switches decide, not the source's. */
function withGuards(
  environments: Record<string, EnvironmentArgs>,
  sourceKey: string,
  production: EnvironmentArgs,
): Record<string, EnvironmentArgs> {
  const guards = {
    kind: "production" as const,
    allowNonFinalTarget: production.allowNonFinalTarget,
    allowUnpinnedBaseImages: production.allowUnpinnedBaseImages,
    allowUnsetBuildArgs: production.allowUnsetBuildArgs,
  };
  return { ...environments, [sourceKey]: { ...environments[sourceKey], ...guards } };
}
