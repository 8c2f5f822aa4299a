/**
 * What a build carries beside its target and args (pure): the image's labels (the OCI ones filled
 * from what the plan knows) and manifest annotations, and the knobs that change how BuildKit runs
 * the build (`network`, `addHosts`, `noCache`, `noCacheFilter`, `pull`, `shmSize`, `ulimits`).
 * The knobs never change the inputs hash; labels do, except the ones naming the release.
 */
import { type Diagnostic, type DockerfileModel, didYouMean, excerpt, findStage, stageLabel } from "../dockerfile";
import { needsBuilder } from "./builder";
import { parseSize } from "./environments";
import type { NetworkMode, PlanArgs } from "./options";

/** The label the OCI convention reads for where the source is (`docker/metadata-action` fills it too). */
export const SOURCE_LABEL = "org.opencontainers.image.source";
/** The commit the image was built from. */
export const REVISION_LABEL = "org.opencontainers.image.revision";
/** The release version. */
export const VERSION_LABEL = "org.opencontainers.image.version";
/** The Dockerfile stage the image is (no OCI key says this; ours, reverse-DNS like the convention asks). */
export const TARGET_LABEL = "dev.multistage.target";

/**
 * Default labels that name the release rather than what is in the image: their new value alone
 * rebuilds nothing (an image found by its inputs keeps the commit and version that built it).
 */
export const RELEASE_LABELS: readonly string[] = [REVISION_LABEL, VERSION_LABEL];

/** The resource limits `--ulimit` takes (Docker's and BuildKit's list). */
const ULIMIT_NAMES = [
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
];

/** The build knobs in a plan: how BuildKit runs the build, not what it builds. */
export interface BuildSettings {
  /** `RUN`'s network; absent means the builder's default. */
  readonly network?: NetworkMode;
  /** Extra `/etc/hosts` entries for `RUN` (`name:ip`). */
  readonly addHosts: readonly string[];
  /** Build every stage without the cache. */
  readonly noCache: boolean;
  /** Stages built without the cache (`--no-cache-filter`; needs a `builder`). */
  readonly noCacheFilter: readonly string[];
  /** Pull every base image afresh, even when the builder has it. */
  readonly pull: boolean;
  /** `/dev/shm`'s size for `RUN`, in bytes. */
  readonly shmSize?: number;
  /** `RUN`'s resource limits (`nofile=1024:2048`). */
  readonly ulimits: readonly string[];
}

/** The knobs as the args give them (documented on `PlanArgs`). */
export type BuildSettingsArgs = Pick<
  PlanArgs,
  "network" | "addHosts" | "noCache" | "noCacheFilter" | "pull" | "shmSize" | "ulimits"
>;

/** What the default labels are made of. */
export interface LabelContext {
  /** `labels` merged under the environment's. */
  readonly labels: Readonly<Record<string, string>>;
  /** `defaultLabels`. @default true */
  readonly defaults: boolean;
  readonly sourceUrl?: string;
  readonly gitSha?: string;
  readonly version?: string;
  readonly targetStage: string;
}

/**
 * The image's labels: the OCI ones from what is known (source, revision, version) and the target,
 * with the given ones over them; and which of them name the release (left out of the inputs hash).
 */
export function planLabels(context: LabelContext): { labels: Record<string, string>; volatileLabels: string[] } {
  const defaults: Record<string, string> = {};
  if (context.defaults) {
    if (context.sourceUrl) defaults[SOURCE_LABEL] = context.sourceUrl;
    if (context.gitSha) defaults[REVISION_LABEL] = context.gitSha;
    if (context.version) defaults[VERSION_LABEL] = context.version;
    defaults[TARGET_LABEL] = context.targetStage;
  }
  const labels = { ...defaults, ...context.labels };
  // A release label the user set is theirs: it counts like any other.
  const volatileLabels = RELEASE_LABELS.filter((name) => name in defaults && !(name in context.labels));
  return { labels, volatileLabels };
}

/** The labels that change the inputs hash: all but the release ones and the target's (the target counts already). */
export function hashedLabels(labels: Readonly<Record<string, string>>, volatile: readonly string[]): string[][] {
  return Object.entries(labels)
    .filter(([name]) => !volatile.includes(name) && name !== TARGET_LABEL)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What of a plan `imageSettings` reads. */
export interface ImageSettingsSource {
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly consumedArgs: readonly string[];
  readonly volatileArgs?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly volatileLabels?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The one rule for which of a plan's settings rebuild the image, beside its closure and
 * platforms: the build args its stages declare, but not the volatile ones (in the plan's order);
 * and its labels (not the release's own, nor the target's) with its annotations, or nothing when
 * there are none, so an image made before they existed keeps its hash. The inputs hash
 * (context/'s `targetInputs`) and the image resource's fingerprint (backends/) both read it.
 */
export function imageSettings(plan: ImageSettingsSource): {
  buildArgs: Array<[string, string]>;
  metadata: [] | [string[][], Array<[string, string]>];
} {
  const volatile = new Set(plan.volatileArgs ?? []);
  const buildArgs = Object.entries(plan.buildArgs).filter(
    ([name]) => !volatile.has(name) && plan.consumedArgs.includes(name),
  );
  const labels = hashedLabels(plan.labels ?? {}, plan.volatileLabels ?? []);
  const annotations = Object.entries(plan.annotations ?? {}).sort();
  return { buildArgs, metadata: labels.length || annotations.length ? [labels, annotations] : [] };
}

/** The most one label or annotation value may be (Linux's limit on one argument is 128 KiB), and all of one map. */
export const MAX_KEY_VALUE_CHARS = 64 * 1024;
export const MAX_KEY_VALUES_CHARS = 512 * 1024;

/** Check label or annotation keys (`property` is `labels`, `environments.<env>.annotations`…). */
export function validateKeyValues(
  values: Readonly<Record<string, string>>,
  property: string,
  diagnostics: Diagnostic[],
): void {
  const total = Object.entries(values).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
  if (total > MAX_KEY_VALUES_CHARS)
    diagnostics.push({
      severity: "error",
      code: "invalid-argument",
      property,
      message: `holds ${total} characters of keys and values, over the ${MAX_KEY_VALUES_CHARS} a build's command line can carry (each becomes a --label or --annotation argument).`,
      hint: "Keep them short: link to a document (org.opencontainers.image.documentation) instead of embedding it.",
    });
  for (const [key, value] of Object.entries(values)) {
    if (property.endsWith("labels") && key.startsWith("dev.multistage."))
      diagnostics.push({
        severity: "error",
        code: "invalid-argument",
        property: `${property}.${key}`,
        message: `"${excerpt(key)}" is in the package's own label namespace (dev.multistage.*): ${TARGET_LABEL} says which stage was built, and a value given here would not count in the inputs hash.`,
        hint: 'Use a key of your own namespace, e.g. "com.example.target".',
      });
    else if (value.length > MAX_KEY_VALUE_CHARS)
      diagnostics.push({
        severity: "error",
        code: "invalid-argument",
        property: `${property}.${key}`,
        message: `is ${value.length} characters, over the ${MAX_KEY_VALUE_CHARS} one build argument can carry (Linux refuses a longer one: E2BIG).`,
        hint: "Keep it short: link to what it describes instead of embedding it.",
      });
    else if (key.trim() === "" || /[\s=]/.test(key) || key.length > 255)
      diagnostics.push({
        severity: "error",
        code: "invalid-argument",
        property: `${property}.${key}`,
        message: `"${excerpt(key)}" is not a key: keys are 1 to 255 characters without spaces or "=".`,
        hint: 'Use a reverse-DNS key, e.g. "org.opencontainers.image.description" or "com.example.team".',
      });
    else if (/[\r\n\0]/.test(value))
      diagnostics.push({
        severity: "error",
        code: "invalid-argument",
        property: `${property}.${key}`,
        message: "holds a line break or a NUL, which the build's command line cannot carry.",
        hint: "Put the value on one line.",
      });
  }
}

/**
 * The build knobs of a plan, checked: hosts as `name:ip`, ulimits as `name=soft[:hard]` of a
 * known limit, `shmSize` a size, `noCacheFilter` stages of the Dockerfile; the last three with a builder.
 */
export function planBuildSettings(
  args: BuildSettingsArgs,
  model: DockerfileModel,
  hasBuilder: boolean,
  diagnostics: Diagnostic[],
): BuildSettings {
  const problem = (property: string, message: string, hint: string): void => {
    diagnostics.push({ severity: "error", code: "invalid-argument", property, message, hint });
  };
  (args.addHosts ?? []).forEach((entry, i) => {
    const [, name = "", ip = ""] = /^([^:]*):(.*)$/.exec(entry) ?? [];
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name) || !(isIpAddress(ip) || ip === "host-gateway"))
      problem(
        `addHosts[${i}]`,
        `"${excerpt(entry)}" is not a host entry.`,
        'Write name:ip, e.g. "registry.internal:10.0.0.5", "db:fd00::5" or "host.docker.internal:host-gateway".',
      );
  });
  (args.ulimits ?? []).forEach((entry, i) => {
    const match = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(entry);
    if (!match)
      problem(
        `ulimits[${i}]`,
        `"${excerpt(entry)}" is not a limit.`,
        'Write name=soft or name=soft:hard, e.g. "nofile=1024:2048".',
      );
    else if (!ULIMIT_NAMES.includes(match[1]))
      problem(
        `ulimits[${i}]`,
        `"${match[1]}" is not a limit BuildKit sets.${didYouMean(match[1], ULIMIT_NAMES)}`,
        `Use one of ${ULIMIT_NAMES.join(", ")}.`,
      );
    else if (match[3] !== undefined && Number(match[3]) !== -1 && Number(match[2]) > Number(match[3]))
      problem(`ulimits[${i}]`, `"${entry}": the soft limit is above the hard one.`, "Make soft ≤ hard.");
  });
  let shmSize: number | undefined;
  if (args.shmSize !== undefined) {
    shmSize = parseSize(args.shmSize);
    if (shmSize === undefined || shmSize <= 0)
      problem(
        "shmSize",
        `${JSON.stringify(args.shmSize)} is not a size.`,
        'Give bytes or a size such as "64MB" or "1GB".',
      );
  }
  const names = model.stages.map(stageLabel);
  (args.noCacheFilter ?? []).forEach((stage, i) => {
    if (!findStage(model, stage))
      problem(
        `noCacheFilter[${i}]`,
        `"${excerpt(stage)}" is not a stage of ${model.file}.${didYouMean(stage, names)}`,
        `Name stages of the Dockerfile: ${names.join(", ")}.`,
      );
  });
  // The Docker engine's own builder (20.10) has no --no-cache-filter, and takes --shm-size and
  // --ulimit but leaves RUN with its defaults (measured): refused rather than dropped.
  const builderOnly: Array<[keyof BuildSettingsArgs, boolean, string, string]> = [
    [
      "noCacheFilter",
      (args.noCacheFilter ?? []).length > 0,
      "has no --no-cache-filter",
      ", or use noCache: true to rebuild every stage",
    ],
    ["shmSize", args.shmSize !== undefined, "leaves /dev/shm at its default", ""],
    ["ulimits", (args.ulimits ?? []).length > 0, "leaves RUN's limits at their defaults", ""],
  ];
  for (const [property, given, why, or] of builderOnly)
    if (given && !hasBuilder) diagnostics.push(needsBuilder(property, why, { or }));
  return {
    ...(args.network ? { network: args.network } : {}),
    addHosts: [...(args.addHosts ?? [])],
    noCache: args.noCache ?? false,
    noCacheFilter: [...(args.noCacheFilter ?? [])],
    pull: args.pull ?? false,
    ...(shmSize && shmSize > 0 ? { shmSize } : {}),
    ulimits: [...(args.ulimits ?? [])],
  };
}

/** An IPv4 address (four octets) or an IPv6 one (hex groups and colons, an IPv4 tail allowed). */
function isIpAddress(text: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255);
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(":")) return false;
  const groups = text.split(":");
  return groups.length >= 3 && groups.length <= 8 && (text.match(/::/g) ?? []).length <= 1;
}
