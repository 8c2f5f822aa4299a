/** A plan's labels and annotations. */
import { type Diagnostic } from "../dockerfile";
import { type EnvironmentArgs, settingPath } from "./environments";
import { needsBuilder } from "./builder";
import { planLabels, validateKeyValues } from "./build-settings";
import type { BuildPlanOptions } from "./options";
import type { BuildPlan } from "./plan-types";

/** The image's labels and annotations: the common ones, the environment's over them, checked. */
export function planMetadata(
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
  targetStage: string,
  diagnostics: Diagnostic[],
): Pick<BuildPlan, "labels" | "volatileLabels" | "annotations"> {
  validateKeyValues(options.labels ?? {}, "labels", diagnostics);
  validateKeyValues(settings.labels ?? {}, settingPath(key, "labels"), diagnostics);
  validateKeyValues(options.annotations ?? {}, "annotations", diagnostics);
  validateKeyValues(settings.annotations ?? {}, settingPath(key, "annotations"), diagnostics);
  const annotations = { ...options.annotations, ...settings.annotations };
  if (Object.keys(annotations).length && options.builder === undefined)
    diagnostics.push(
      needsBuilder(
        settings.annotations ? settingPath(key, "annotations") : "annotations",
        "writes no manifest annotations",
        { or: ", or use labels (in the image config)" },
      ),
    );
  const { labels, volatileLabels } = planLabels({
    labels: { ...options.labels, ...settings.labels },
    defaults: options.defaultLabels ?? true,
    sourceUrl: options.sourceUrl,
    gitSha: options.gitSha,
    version: options.version,
    targetStage,
  });
  return { labels, volatileLabels, annotations };
}
