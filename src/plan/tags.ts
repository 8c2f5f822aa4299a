/**
 * Tag strategy (pure): which tags an environment's image gets. Tags are labels for
 * people; consumers always get the digest-pinned reference.
 */
import { type Diagnostic, throwOnErrors } from "../dockerfile";
import { CACHE_TAG_PREFIX } from "./builder";
import { TAG_RULE, isValidTag } from "./image-ref";

/** Values a tag template can use. */
export interface TagContext {
  /** Environment name, e.g. `dev`. */
  readonly env: string;
  /** Stage built, e.g. `production`. */
  readonly target: string;
  /** Full git commit SHA of the source, when known. */
  readonly gitSha?: string;
  /** Release version (e.g. from package.json or CI), when known. */
  readonly version?: string;
}

/**
 * `{inputsHash}`: the first 12 hex digits of the target's inputs hash. The plan does not read
 * files, so its tags keep this placeholder; `withInputsHash` fills it in once the inputs are read.
 */
export const INPUTS_HASH_PLACEHOLDER = "{inputsHash}";
const INPUTS_HASH_DIGITS = 12;

/** `tags` with `{inputsHash}` replaced by the first 12 hex digits of `hash` (`sha256:…` or hex). */
export function withInputsHash(tags: readonly string[], hash: string): string[] {
  const digits = hash.replace(/^sha256:/, "").slice(0, INPUTS_HASH_DIGITS);
  return tags.map((tag) => tag.split(INPUTS_HASH_PLACEHOLDER).join(digits));
}

/**
 * A template with `{env}`, `{target}`, `{gitSha}`, `{gitShortSha}`, `{version}`, `{inputsHash}`
 * placeholders (e.g. `"{env}-{gitShortSha}"`, `"v{version}"`), a list of templates (one tag
 * each, the form every Pulumi language can pass), or a function (TypeScript only).
 */
export type TagStrategy = string | readonly string[] | ((context: TagContext) => string[]);

/** A tag and the input property it comes from, for messages (`tags[1]`, `environments.dev.tags[0]`). */
export interface TagSource {
  readonly tag: string;
  readonly property: string;
}

/** What turns a plan into a release's tags. */
export interface ReleaseTagOptions {
  readonly tagStrategy?: TagStrategy;
  /** Fixed tags (common and the environment's), in order. */
  readonly fixed?: readonly TagSource[];
  /** Tags moved on every release (`latest`); added last. */
  readonly moving?: readonly TagSource[];
  /** Prefix of every tag (`migrations` → `migrations-production-1a2b3c`), for additional images. */
  readonly prefix?: string;
  /**
   * The repository refuses to move a tag: a template that gives every release the same tag
   * (no `{gitSha}`, `{gitShortSha}` or `{version}`) would fail the second release, so it is refused.
   */
  readonly immutable?: boolean;
}

/**
 * Default: `{env}-{gitShortSha}` when the commit is known, else `{env}-{inputsHash}`: either
 * way a new release gets a new tag (an IMMUTABLE repository refuses a repeated one).
 */
export function defaultTagStrategy(context: TagContext): string {
  return context.gitSha ? "{env}-{gitShortSha}" : `{env}-${INPUTS_HASH_PLACEHOLDER}`;
}

/** Add an `invalid-tag` diagnostic when `tag` is not a tag Docker accepts. */
export function validateTag(tag: string, property: string, diagnostics: Diagnostic[]): void {
  // `{inputsHash}` becomes 12 hex digits: the tag is checked as it will be.
  if (isValidTag(withInputsHash([tag], "0".repeat(INPUTS_HASH_DIGITS))[0])) return;
  diagnostics.push({
    severity: "error",
    code: "invalid-tag",
    property,
    message: `"${tag}" is not a valid image tag (${tag.length} characters).`,
    hint: `Tags are ${TAG_RULE}.`,
  });
}

/** The strategy's tags for `context`; problems (unknown placeholder, no value, a throwing function) become diagnostics. */
export function expandTagStrategy(
  strategy: TagStrategy | undefined,
  context: TagContext,
  diagnostics: Diagnostic[],
): string[] {
  const template = strategy ?? defaultTagStrategy(context);
  if (typeof template === "string") return [expandTemplate(template, context, diagnostics)];
  if (isTemplateList(template)) {
    if (template.length === 0) {
      diagnostics.push({
        severity: "error",
        code: "invalid-tag-strategy",
        property: "tagStrategy",
        message: "the tag strategy is an empty list: a release would get no unique tag.",
        hint: 'Give at least one template, e.g. ["{env}-{gitShortSha}"], or leave tagStrategy out for the default.',
      });
      return [];
    }
    return template.map((t, i) => expandTemplate(t, context, diagnostics, `tagStrategy[${i}]`));
  }
  let tags: unknown;
  try {
    tags = template(context);
  } catch (err) {
    tags = err instanceof Error ? err : new Error(String(err));
  }
  if (Array.isArray(tags) && tags.length > 0 && tags.every((t) => typeof t === "string")) return tags;
  diagnostics.push({
    severity: "error",
    code: "invalid-tag-strategy",
    property: "tagStrategy",
    message:
      tags instanceof Error
        ? `the tag strategy function threw: ${tags.message}`
        : `the tag strategy function returned ${JSON.stringify(tags)}, not a non-empty list of tags.`,
    hint: "Return at least one tag, e.g. (c) => [`${c.env}-${c.gitSha?.slice(0, 7) ?? c.target}`].",
  });
  return [];
}

/**
 * The tags a release pushes: the strategy's (unique per release) first, then the fixed
 * ones, then moving ones. Without a `context` (no target yet) only the fixed and moving
 * tags are made, so they are still validated.
 */
export function releaseTags(
  context: TagContext | undefined,
  options: ReleaseTagOptions,
  diagnostics: Diagnostic[],
): string[] {
  const expanded = context ? expandTagStrategy(options.tagStrategy, context, diagnostics) : [];
  if (context && options.immutable) checkRepeatingTag(options.tagStrategy, context, diagnostics);
  const listed = options.tagStrategy !== undefined && isTemplateList(options.tagStrategy);
  const strategy = expanded.map((tag, i) => ({
    tag,
    property: listed ? `tagStrategy[${i}]` : "tagStrategy",
  }));
  const sources = [...strategy, ...(options.fixed ?? []), ...(options.moving ?? [])].map((s) => ({
    ...s,
    tag: options.prefix ? `${options.prefix}-${s.tag}` : s.tag,
  }));
  const seen = new Set<string>();
  for (const source of sources) {
    if (!seen.has(source.tag)) {
      validateTag(source.tag, source.property, diagnostics);
      if (source.tag.startsWith(CACHE_TAG_PREFIX))
        diagnostics.push({
          severity: "error",
          code: "invalid-tag",
          property: source.property,
          message: `"${source.tag}" starts with "${CACHE_TAG_PREFIX}", which the registry cache's tags use (cache-<target>-<env>): a release would overwrite a cache, or a cache a release, and an IMMUTABLE repository lets ${CACHE_TAG_PREFIX}* tags move.`,
          hint: `Name the tag otherwise (tags starting with "${CACHE_TAG_PREFIX}" are the registry cache's).`,
        });
    }
    seen.add(source.tag);
  }
  return [...seen];
}

/**
 * Templates that give two environments of one repository the same tag for what may be
 * different images: no `{env}` to tell them apart and no `{inputsHash}` to tell their inputs
 * apart. `others` are the other environments this one does not share its image with (promotion).
 */
export function checkSharedTags(
  strategy: TagStrategy | undefined,
  env: string,
  others: readonly string[],
  diagnostics: Diagnostic[],
): void {
  if (others.length === 0 || strategy === undefined || typeof strategy === "function") return;
  const templates = isTemplateList(strategy) ? strategy : [strategy];
  templates.forEach((template, i) => {
    if (/\{(env|inputsHash)\}/.test(template)) return;
    diagnostics.push({
      severity: "error",
      code: "invalid-tag-strategy",
      property: isTemplateList(strategy) ? `tagStrategy[${i}]` : "tagStrategy",
      message: `"${template}" gives environment "${env}" and ${others.map((o) => `"${o}"`).join(", ")} the same tag for images that may differ (another target or build args); in one repository the later push takes the tag from the other.`,
      hint: 'Add {env} (or {inputsHash}) to the template, e.g. "{env}-{gitShortSha}".',
    });
  });
}

/**
 * The release tags of environment `env` as ECR lifecycle patterns: each template with `{env}`
 * filled in and every other placeholder a `*` (`{env}-{gitShortSha}` → `dev-*`), the fixed tags
 * as they are, each under every `prefixes` entry (`migrations-dev-*`, for additional images).
 * `undefined` for a function strategy, whose tags only running it shows.
 */
export function releaseTagPatterns(
  strategy: TagStrategy | undefined,
  env: string,
  fixed: readonly string[] = [],
  prefixes: readonly string[] = [],
): string[] | undefined {
  if (typeof strategy === "function") return undefined;
  const templates =
    strategy === undefined ? [`{env}-${INPUTS_HASH_PLACEHOLDER}`] : isTemplateList(strategy) ? strategy : [strategy];
  const patterns = [...templates, ...fixed].map((t) =>
    t
      .split("{env}")
      .join(tagSafe(env))
      .replace(/\{\w+\}/g, "*")
      .replace(/\*+/g, "*"),
  );
  const prefixed = [...patterns, ...prefixes.flatMap((prefix) => patterns.map((p) => `${prefix}-${p}`))];
  // ECR takes at most four * in a pattern; a template with more is kept by the broadest pattern.
  return [...new Set(prefixed.map((p) => ((p.match(/\*/g) ?? []).length > 4 ? "*" : p)))];
}

/** `expandTagStrategy`, throwing a `MultiStageError` for any problem. */
export function tagsFor(strategy: TagStrategy | undefined, context: TagContext): string[] {
  const diagnostics: Diagnostic[] = [];
  const tags = releaseTags(context, { tagStrategy: strategy }, diagnostics);
  throwOnErrors(diagnostics);
  return tags;
}

const PLACEHOLDERS = ["env", "target", "gitSha", "gitShortSha", "version", "inputsHash"] as const;

function isTemplateList(strategy: TagStrategy): strategy is readonly string[] {
  return Array.isArray(strategy);
}

function expandTemplate(
  template: string,
  context: TagContext,
  diagnostics: Diagnostic[],
  property = "tagStrategy",
): string {
  const values: Record<string, string | undefined> = {
    env: context.env,
    target: context.target,
    gitSha: context.gitSha,
    gitShortSha: context.gitSha?.slice(0, 12),
    version: context.version,
  };
  const problem = (message: string, hint: string): string => {
    diagnostics.push({ severity: "error", code: "invalid-tag-strategy", property, message, hint });
    return "";
  };
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    if (key === "inputsHash") return INPUTS_HASH_PLACEHOLDER;
    if (!(key in values)) {
      return problem(
        `the template "${template}" uses {${key}}, which is not a placeholder.`,
        `Use ${PLACEHOLDERS.map((k) => `{${k}}`).join(", ")}.`,
      );
    }
    const value = values[key];
    if (value === undefined) {
      return problem(
        `the template "${template}" uses {${key}}, which has no value here.`,
        `Pass ${key === "version" ? "version" : "gitSha"} in the args.`,
      );
    }
    return tagSafe(value);
  });
}

/** A placeholder's value as it stands in a tag: each character a tag cannot hold made `-`. */
function tagSafe(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, "-");
}

/** A template without a per-release placeholder gives every release the same tag (the default has one). */
function checkRepeatingTag(strategy: TagStrategy | undefined, context: TagContext, diagnostics: Diagnostic[]): void {
  if (strategy !== undefined && isTemplateList(strategy)) {
    strategy.forEach((t, i) => checkRepeatingTemplate(t, `tagStrategy[${i}]`, context, diagnostics));
  } else if (typeof strategy === "string") {
    checkRepeatingTemplate(strategy, "tagStrategy", context, diagnostics);
  }
}

function checkRepeatingTemplate(
  strategy: string,
  property: string,
  context: TagContext,
  diagnostics: Diagnostic[],
): void {
  if (/\{(gitSha|gitShortSha|version|inputsHash)\}/.test(strategy)) return;
  diagnostics.push({
    severity: "error",
    code: "invalid-tag-strategy",
    property,
    message: `"${strategy}" gives every release the same tag ("${expandTemplate(strategy, context, [])}"); the repository is IMMUTABLE and would refuse the second release.`,
    hint: "Add {gitShortSha}, {version} or {inputsHash} to tagStrategy, or make the repository MUTABLE (repository.imageTagMutability).",
  });
}
