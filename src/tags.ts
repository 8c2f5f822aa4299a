/**
 * Tag strategy (pure): which tags an environment's image gets. Tags are labels for
 * people; consumers always get the digest-pinned reference.
 */
import { isValidTag } from "./image-ref";

/** Values a tag template can use. */
export interface TagContext {
  /** Environment name, e.g. `dev`. */
  env: string;
  /** Stage built, e.g. `production`. */
  target: string;
  /** Full git commit SHA of the source, when known. */
  gitSha?: string;
  /** Release version (e.g. from package.json or CI), when known. */
  version?: string;
}

/**
 * A template with `{env}`, `{target}`, `{gitSha}`, `{gitShortSha}`, `{version}`
 * placeholders (e.g. `"{env}-{gitShortSha}"`, `"v{version}"`), or a function.
 */
export type TagStrategy = string | ((context: TagContext) => string[]);

/** Default: `{env}-{gitShortSha}` when the commit is known, else `{env}-{target}`. */
export function defaultTagStrategy(context: TagContext): string[] {
  return context.gitSha ? [`${context.env}-${context.gitSha.slice(0, 12)}`] : [`${context.env}-${context.target}`];
}

/** Expand a strategy into tags; throws naming the placeholder that has no value or the invalid tag. */
export function tagsFor(strategy: TagStrategy | undefined, context: TagContext): string[] {
  const tags =
    strategy === undefined
      ? defaultTagStrategy(context)
      : typeof strategy === "function"
        ? strategy(context)
        : [expandTemplate(strategy, context)];
  for (const tag of tags) {
    if (!isValidTag(tag)) {
      throw new Error(
        `Tag "${tag}" is not a valid image tag (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-').`,
      );
    }
  }
  return tags;
}

function expandTemplate(template: string, context: TagContext): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    const values: Record<string, string | undefined> = {
      env: context.env,
      target: context.target,
      gitSha: context.gitSha,
      gitShortSha: context.gitSha?.slice(0, 12),
      version: context.version,
    };
    if (!(key in values)) {
      throw new Error(
        `Tag template "${template}" uses {${key}}; known placeholders: ${Object.keys(values)
          .map((k) => `{${k}}`)
          .join(", ")}.`,
      );
    }
    const value = values[key];
    if (value === undefined) {
      throw new Error(
        `Tag template "${template}" uses {${key}}, which has no value here; pass ${key === "version" ? "version" : "gitSha"} in the args.`,
      );
    }
    return value.replace(/[^A-Za-z0-9_.-]/g, "-");
  });
}

/** Options that turn a plan's fixed tags into a release's tags. */
export interface ReleaseTagOptions {
  tagStrategy?: TagStrategy;
  gitSha?: string;
  version?: string;
  /** Tags moved on every release (`latest`, the environment name); added last. */
  movingTags?: readonly string[];
}

/** The tags a release pushes: the strategy's (unique per release) first, then the fixed ones, then moving ones. */
export function releaseTags(
  plan: { environment: string; targetStage: string; tags: readonly string[] },
  options: ReleaseTagOptions,
): string[] {
  const strategy = tagsFor(options.tagStrategy, {
    env: plan.environment,
    target: plan.targetStage,
    gitSha: options.gitSha,
    version: options.version,
  });
  return [...new Set([...strategy, ...plan.tags, ...(options.movingTags ?? [])])];
}
