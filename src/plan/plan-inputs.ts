/** A plan's inputs: build args, platforms, the builder, volatile args. */
import { type EnvironmentArgs, settingPath } from "./environments";
import { type BuilderSpec, builderSpec, validatePlatforms, validateSsh } from "./builder";
import { DAEMONLESS_ENGINES } from "./engine";
import { type BuildArgSource, validateBuildArgNames } from "./secrets";
import type { BuildPlanOptions } from "./options";
import type { PlanScope } from "./scope";

/** The platforms of this environment and the property they come from (the environment's win). */
export function choosePlatforms(
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
): { platforms: string[]; property: string } {
  if (settings.platforms) return { platforms: [...settings.platforms], property: settingPath(key, "platforms") };
  if (settings.platform) return { platforms: [settings.platform], property: settingPath(key, "platform") };
  if (options.platforms) return { platforms: [...options.platforms], property: "platforms" };
  return { platforms: options.platform ? [options.platform] : [], property: "platform" };
}

/** Build args in merge order (common, environment, additional image), each with the property it came from. */
export function mergeBuildArgs(
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
): Record<string, BuildArgSource & { value: string }> {
  const merged: Record<string, BuildArgSource & { value: string }> = {};
  const add = (record: Readonly<Record<string, string>> | undefined, prefix: string): void => {
    for (const [name, value] of Object.entries(record ?? {}))
      merged[name] = { name, value, property: `${prefix}.${name}` };
  };
  add(options.buildArgs, "buildArgs");
  add(settings.buildArgs, settingPath(key, "buildArgs"));
  if (options.image) add(options.image.buildArgs, `additionalImages.${options.image.name}.buildArgs`);
  return merged;
}
/**
 * This environment's build args (the common ones, its own over them), platforms and builder, each
 * checked: what the rest of the plan is made with.
 */
export function planInputs(scope: PlanScope): {
  buildArgs: Record<string, BuildArgSource>;
  values: Record<string, string>;
  platforms: string[];
  platformsProperty: string;
  builder: BuilderSpec | undefined;
  daemonless: boolean;
} {
  const { options, key, settings, diagnostics } = scope;
  const buildArgs = mergeBuildArgs(options, key, settings);
  validateBuildArgNames(Object.values(buildArgs), options.allowSecretLikeBuildArgs ?? false, diagnostics);
  const values = Object.fromEntries(Object.entries(buildArgs).map(([n, s]) => [n, s.value]));
  const { platforms, property: platformsProperty } = choosePlatforms(options, key, settings);
  validatePlatforms(platforms, platformsProperty, diagnostics);
  const builder = builderSpec(options.builder, diagnostics);
  validateSsh(options.ssh ?? [], diagnostics);
  const daemonless = options.engine !== undefined && DAEMONLESS_ENGINES.includes(options.engine);
  if (platforms.length > 1 && options.builder === undefined && !daemonless) {
    diagnostics.push({
      severity: "warning",
      code: "invalid-platform",
      property: platformsProperty,
      message: `${platforms.length} platforms need a builder that makes multi-platform indexes; the Docker engine's own builder does only with the containerd image store.`,
      hint: "Set builder to a buildx builder (docker-container, remote or kubernetes driver) or a BuildKit endpoint.",
    });
  }
  return { buildArgs, values, platforms, platformsProperty, builder, daemonless };
}

/** The volatile args, each a build arg of this environment (a warning names one that is not). */
export function planVolatileArgs(scope: PlanScope, values: Readonly<Record<string, string>>): string[] {
  const { options, env, key, diagnostics } = scope;
  const volatileArgs = [...(options.volatileArgs ?? [])];
  volatileArgs.forEach((name, i) => {
    if (Object.hasOwn(values, name)) return;
    diagnostics.push({
      severity: "warning",
      code: "unknown-arg",
      property: `volatileArgs[${i}]`,
      arg: name,
      message: `volatile arg "${name}" is not a build arg of environment "${env}".`,
      hint: `Pass it in buildArgs (or ${settingPath(key, "buildArgs")}), or remove it from volatileArgs.`,
    });
  });
  return volatileArgs;
}
