/**
 * What a build carries beside its target and args (pure): the image's labels (the OCI ones filled
 * from what the plan knows) and manifest annotations, and the build settings that change how
 * BuildKit runs the build (the plan args whose table entry has a `build` column: `network`,
 * `ulimits`…). Labels change the inputs hash, except the ones naming the release; a setting only
 * when its column says it `rebuilds`.
 */
import { type Diagnostic, type DockerfileModel, didYouMean, excerpt, findStage, stageLabel } from "../dockerfile";
import { needsBuilder } from "./builder";
import { parseSize } from "./environments";
import type { BuildColumn } from "./fields";
import { BUILD_SETTINGS, type BuildSettingName, type PLAN_FIELDS, type PlanArgs } from "./options";

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

type Settled<S> = S extends { build: BuildColumn<infer V> } ? V : never;

/**
 * The build settings in a plan (how BuildKit runs the build, not what it builds), each as its
 * table entry settles it: lists and switches always there, a value only when given.
 */
export type BuildSettings = { readonly [K in BuildSettingName]: Settled<(typeof PLAN_FIELDS)[K]> };

/** The settings as the args give them (documented on `PlanArgs`). */
export type BuildSettingsArgs = Pick<PlanArgs, BuildSettingName>;

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
  readonly settings?: Readonly<Record<string, unknown>>;
}

/**
 * The one rule for which of a plan's settings rebuild the image, beside its closure and
 * platforms: the build args its stages declare, but not the volatile ones (in the plan's order);
 * and its labels (not the release's own, nor the target's) with its annotations, or nothing when
 * there are none, so an image made before they existed keeps its hash; and the build settings
 * in use whose table column says they `rebuild` it (`columns`: the table's, or a test's). The
 * inputs hash (context/'s `targetInputs`) and the image resource's fingerprint (backends/) both read it.
 */
export function imageSettings(
  plan: ImageSettingsSource,
  columns: ReadonlyArray<readonly [string, BuildColumn<unknown>]> = BUILD_SETTINGS,
): {
  buildArgs: Array<[string, string]>;
  metadata: [] | [string[][], Array<[string, string]>];
  rebuilding: [] | [{ settings: Array<[string, unknown]> }];
} {
  const volatile = new Set(plan.volatileArgs ?? []);
  const buildArgs = Object.entries(plan.buildArgs).filter(
    ([name]) => !volatile.has(name) && plan.consumedArgs.includes(name),
  );
  const labels = hashedLabels(plan.labels ?? {}, plan.volatileLabels ?? []);
  const annotations = Object.entries(plan.annotations ?? {}).sort();
  const given = plan.settings ?? {};
  const settings = columns
    .filter(([name, column]) => column.rebuilds && column.argv(column.settle(given[name])).length)
    .map(([name, column]): [string, unknown] => [name, column.settle(given[name])]);
  return {
    buildArgs,
    metadata: labels.length || annotations.length ? [labels, annotations] : [],
    // An object, so it can never read as the labels and annotations' arrays.
    rebuilding: settings.length ? [{ settings }] : [],
  };
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
  if (args.shmSize !== undefined) {
    const shmSize = parseSize(args.shmSize);
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
  const settled: Array<[BuildSettingName, unknown]> = [];
  for (const [name, column] of BUILD_SETTINGS) {
    const value = column.settle(args[name]);
    if (value !== undefined) settled.push([name, value]);
    // In use exactly when it has flags; one the engine's builder ignores is refused rather than dropped.
    if (column.needsBuilder && !hasBuilder && column.argv(value).length)
      diagnostics.push(needsBuilder(name, column.needsBuilder.why, { or: column.needsBuilder.or }));
  }
  return Object.fromEntries(settled) as BuildSettings;
}

/** An IPv4 address (four octets) or an IPv6 one (hex groups and colons, an IPv4 tail allowed). */
function isIpAddress(text: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255);
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(":")) return false;
  const groups = text.split(":");
  return groups.length >= 3 && groups.length <= 8 && (text.match(/::/g) ?? []).length <= 1;
}
