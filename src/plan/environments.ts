/**
 * Environment policy (pure): which kind an environment (stack) name is, which
 * target and settings it builds with, and the production guard.
 */
import type { AttestationArgs } from "./builder";

/** What an environment is for; decides the default target and how strict the checks are. */
export type EnvironmentKind = "development" | "production" | "staging";

/** A command run with the digest-pinned reference before the release tags (a scanner, a policy check). */
export interface ReleaseGateArgs {
  /**
   * Run by `/bin/sh -c` in the program's directory, with `MULTISTAGE_IMAGE` (`<repository>@<digest>`),
   * `MULTISTAGE_IMAGE_DIGEST`, `MULTISTAGE_ENVIRONMENT` and `DOCKER_CONFIG` (the registry's login)
   * set. A non-zero exit refuses the release with its output.
   * @example "grype \"$MULTISTAGE_IMAGE\" --fail-on high"
   */
  readonly command: string;
  /** Seconds it may run before it is stopped and the release refused. @default 600 */
  readonly timeoutSeconds?: number;
}

/**
 * Build settings of one environment: what `environments.<name>` in the component args
 * (and `multistage:environments.<name>` in stack config) holds. Plain values: they decide
 * the target and the resources at construction.
 */
export interface EnvironmentArgs {
  /** What this environment is. @default inferred from its name (see `classifyEnvironment`) */
  readonly kind?: EnvironmentKind;
  /**
   * Stage to build.
   * @default the first of `devTargets` that exists for development; the final stage otherwise
   * @example "builder"
   */
  readonly target?: string;
  /** Build args for this environment, merged over the common `buildArgs`. @example { NODE_ENV: "production" } */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Tags pushed in this environment, in addition to the common ones. */
  readonly tags?: readonly string[];
  /** Target platform. @example "linux/arm64" */
  readonly platform?: string;
  /**
   * Target platforms: one push makes one index with an image for each (needs a `builder`).
   * @example ["linux/amd64", "linux/arm64"]
   */
  readonly platforms?: readonly string[];
  /** Export and read the registry cache in this environment (overrides `registryCache`). */
  readonly registryCache?: boolean;
  /** Production only: allow a target other than the final stage. @default false */
  readonly allowNonFinalTarget?: boolean;
  /** Production only: allow base images tagged `latest` or not tagged at all. @default false */
  readonly allowUnpinnedBaseImages?: boolean;
  /**
   * Production only: build when an ARG the target uses has no value (no default, not passed),
   * expanding it to empty as BuildKit does. Refused by default: a production image built with
   * an empty `APP_VERSION` or base-image suffix is almost always a forgotten build arg.
   * @default false
   */
  readonly allowUnsetBuildArgs?: boolean;
  /**
   * Promote another environment's image instead of building: the image that environment's
   * plan has in the registry (found by its inputs, `inputs-<hash>`) gets this environment's
   * tags, the same digest; copied when `promoteRepository` is another repository. Nothing is
   * built, and `pulumi up` fails when that environment has not pushed it yet.
   * @example "staging"
   */
  readonly promoteFrom?: string;
  /** Where `promoteFrom`'s image is (`<host>/<path>`). @default this image's repository */
  readonly promoteRepository?: string;
  /**
   * The largest the image may be, as its registry stores it (compressed layers and config; for
   * several platforms, the largest): bytes, or `"120MB"`, `"1.5GB"`, `"800kB"`. A bigger image
   * fails `pulumi up` naming its largest layers, and gets none of this environment's tags.
   */
  readonly sizeBudget?: number | string;
  /** Labels for this environment's image, merged over the common `labels`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Manifest annotations for this environment's image, merged over the common `annotations` (needs a `builder`). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Caches this environment reads, after the common `cacheFrom`. @example ["type=gha,scope=app-production"] */
  readonly cacheFrom?: readonly string[];
  /** Caches this environment exports, after the common `cacheTo` (needs a `builder`). */
  readonly cacheTo?: readonly string[];
  /**
   * Attestations for this environment's image (overrides `attestations`): provenance and an SBOM,
   * beside the image as signed referrers when the environment signs (`store`).
   * @example { provenance: "max", sbom: true }
   */
  readonly attestations?: boolean | AttestationArgs;
  /**
   * Sign and verify with the component's `signing` in this environment. `false` turns both off
   * (a development stack); `true` insists the component has a key.
   * @default true when the component has `signing`
   */
  readonly signing?: boolean;
  /**
   * A command run with the digest-pinned reference before the release tags or a promotion (a
   * scanner, a policy check); its failure refuses the release with its output. `docker-cli` only.
   * @example { command: "grype \"$MULTISTAGE_IMAGE\" --fail-on high" }
   */
  readonly releaseGate?: ReleaseGateArgs;
}

/** The settings that apply to one environment, and the key they were found under (for property paths). */
export interface EnvironmentEntry {
  /** Key in `environments` (may differ from the environment name), or the name when none applies. */
  readonly key: string;
  readonly args: EnvironmentArgs;
  /** False when no entry applies (the defaults are used). */
  readonly matched: boolean;
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

/**
 * The settings of `environment`: its exact entry, else the entry named the same in another
 * case, else the only entry of the same kind (`prd` and `production-eu` take `production`'s),
 * else none (`matched: false`).
 */
export function getEnvironmentArgs(
  environment: string,
  environments: Readonly<Record<string, EnvironmentArgs>> = {},
): EnvironmentEntry {
  if (environments[environment]) return { key: environment, args: environments[environment], matched: true };
  const keys = Object.keys(environments);
  const lower = environment.toLowerCase();
  const sameName = keys.find((k) => k.toLowerCase() === lower);
  if (sameName) return { key: sameName, args: environments[sameName], matched: true };
  const kind = classifyEnvironment(environment);
  const sameKind = keys.filter((k) => (environments[k].kind ?? classifyEnvironment(k)) === kind);
  if (sameKind.length === 1) return { key: sameKind[0], args: environments[sameKind[0]], matched: true };
  return { key: environment, args: {}, matched: false };
}

/** The kind of `environment`: set in its settings, else inferred from its name. */
export function environmentKind(
  environment: string,
  environments: Readonly<Record<string, EnvironmentArgs>> = {},
): EnvironmentKind {
  return getEnvironmentArgs(environment, environments).args.kind ?? classifyEnvironment(environment);
}

/** Bytes of a size: a number of bytes, or `"120MB"`, `"1.5GB"`, `"800kB"`, `"512B"` (powers of 1000); `undefined` when it is none. */
export function parseSize(size: number | string): number | undefined {
  if (typeof size === "number") return Number.isFinite(size) && size > 0 ? size : undefined;
  if (typeof size !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB)?\s*$/.exec(size);
  if (!m) return undefined;
  const scale = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2] ?? "B"] ?? 1;
  const bytes = Number(m[1]) * scale;
  return bytes > 0 ? bytes : undefined;
}

/**
 * The property path of an environment's setting, `environments.<key>.<field>`: every path the
 * plan names one by is made here, its field checked by the compiler against the settings.
 */
export function settingPath(key: string, field: keyof EnvironmentArgs & string, rest = ""): string {
  return `environments.${key}.${field}${rest}`;
}
