/**
 * Environment policy (pure): which kind an environment (stack) name is, which
 * target and settings it builds with, and the production guard.
 */

/** What an environment is for; decides the default target and how strict the checks are. */
export type EnvironmentKind = "development" | "production" | "staging";

/** Per-environment build settings (what `environments.<name>` in the component args holds). */
export interface EnvironmentSettings {
  /** What this environment is; inferred from its name when omitted. */
  kind?: EnvironmentKind;
  /** Stage to build; default: a dev stage for development, the final stage otherwise. */
  target?: string;
  /** Build args for this environment, merged over the common ones. */
  buildArgs?: Record<string, string>;
  /** Tags pushed in this environment, in addition to the common ones. */
  tags?: string[];
  /** Target platform, e.g. `linux/arm64`. */
  platform?: string;
  /** Production only: allow a target other than the final stage. */
  allowNonFinalTarget?: boolean;
  /** Production only: allow base images tagged `latest` or not tagged at all. */
  allowUnpinnedBaseImages?: boolean;
}

const DEVELOPMENT_NAMES = ["dev", "development", "develop", "local", "sandbox", "test", "testing", "ci"];
const PRODUCTION_NAMES = ["prod", "production", "prd", "live", "main", "release"];

/**
 * Infer the kind of an environment from its name: `dev`, `development`, `local`, `dev-alice`,
 * `alice-dev` are development; `prod`, `production`, `prod-eu` are production; anything else
 * (`staging`, `qa`, `uat`) builds like production but without the production guard.
 */
export function classifyEnvironment(name: string): EnvironmentKind {
  const parts = name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (parts.some((p) => PRODUCTION_NAMES.includes(p))) return "production";
  if (parts.some((p) => DEVELOPMENT_NAMES.includes(p))) return "development";
  return "staging";
}

/** Stage names tried, in order, as the development target when none is configured. */
export const DEFAULT_DEV_TARGETS: readonly string[] = ["dev", "development", "develop", "builder", "build"];

/** The settings of `environment`, or the entry whose name classifies the same when exact names differ (`prod` vs `production`). */
export function environmentSettings(
  environment: string,
  environments: Readonly<Record<string, EnvironmentSettings>> = {},
): EnvironmentSettings {
  if (environments[environment]) return environments[environment];
  const lower = environment.toLowerCase();
  const key = Object.keys(environments).find((k) => k.toLowerCase() === lower);
  return key ? environments[key] : {};
}

/**
 * Merge per-environment settings: `override` (e.g. stack config) over `base` (e.g. code),
 * field by field; build args merge by name, tags add up.
 */
export function mergeEnvironments(
  base: Readonly<Record<string, EnvironmentSettings>>,
  override: Readonly<Record<string, EnvironmentSettings>>,
): Record<string, EnvironmentSettings> {
  const merged: Record<string, EnvironmentSettings> = { ...base };
  for (const [name, settings] of Object.entries(override)) {
    const current = merged[name] ?? {};
    merged[name] = {
      ...current,
      ...settings,
      ...(current.buildArgs || settings.buildArgs
        ? { buildArgs: { ...current.buildArgs, ...settings.buildArgs } }
        : {}),
      ...(current.tags || settings.tags
        ? { tags: [...new Set([...(current.tags ?? []), ...(settings.tags ?? [])])] }
        : {}),
    };
  }
  return merged;
}
