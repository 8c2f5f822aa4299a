/**
 * Build caches besides the registry cache, as buildx and Bake write them: `cacheFrom` and
 * `cacheTo` entries `type=local,src=…`, `type=gha,scope=…`, `type=s3,bucket=…,region=…`,
 * `type=registry,ref=…` (a plain image reference in `cacheFrom` is a registry cache too).
 * Checked here (types, required and unknown attributes, credentials kept out), local
 * directories made absolute. Pure.
 */
import * as path from "path";
import { type Diagnostic, didYouMean, excerpt } from "../dockerfile";
import { needsBuilder } from "./builder";

/** A cache back end BuildKit imports from or exports to. */
export type CacheType = "registry" | "local" | "gha" | "s3" | "inline";

/** Each type's attributes on import and on export, the required ones first (BuildKit's names). */
const ATTRIBUTES: Record<CacheType, { from?: Attributes; to?: Attributes }> = {
  registry: {
    from: { required: ["ref"], optional: [] },
    to: { required: ["ref"], optional: ["mode", "image-manifest", "oci-mediatypes", "compression", "ignore-error"] },
  },
  local: {
    from: { required: ["src"], optional: ["digest", "tag"] },
    to: { required: ["dest"], optional: ["mode", "compression", "compression-level", "tag", "ignore-error"] },
  },
  gha: {
    from: { required: [], optional: ["scope", "url", "url_v2", "version"] },
    to: { required: [], optional: ["scope", "mode", "url", "url_v2", "version", "ignore-error", "timeout"] },
  },
  s3: {
    from: {
      required: ["bucket", "region"],
      optional: ["name", "prefix", "blobs_prefix", "manifests_prefix", "endpoint_url", "use_path_style"],
    },
    to: {
      required: ["bucket", "region"],
      optional: [
        "name",
        "prefix",
        "blobs_prefix",
        "manifests_prefix",
        "endpoint_url",
        "use_path_style",
        "mode",
        "ignore-error",
        "touch_refresh",
      ],
    },
  },
  inline: { to: { required: [], optional: [] } },
};

/** Attributes that hold a credential: they would be kept in the plan, the state and the logs. */
const CREDENTIALS: Record<string, string> = {
  access_key_id: "AWS_ACCESS_KEY_ID",
  secret_access_key: "AWS_SECRET_ACCESS_KEY",
  session_token: "AWS_SESSION_TOKEN",
  token: "ACTIONS_RUNTIME_TOKEN",
};

/** Whether `text` is a `type=…` cache entry (a plain image reference is not). */
export function isCacheEntry(text: string): boolean {
  return /^type=/.test(text.trim());
}

/** `type=local,src=/c` → `{ type: "local", attributes: [["src", "/c"]] }`; undefined when not `key=value,…`. */
export function parseCacheEntry(text: string): { type: string; attributes: Array<[string, string]> } | undefined {
  const attributes: Array<[string, string]> = [];
  for (const field of text.split(",")) {
    const match = /^([A-Za-z0-9_-]+)=(.*)$/.exec(field.trim());
    if (!match) return undefined;
    attributes.push([match[1], match[2]]);
  }
  const type = attributes.find(([k]) => k === "type")?.[1];
  return type === undefined ? undefined : { type, attributes: attributes.filter(([k]) => k !== "type") };
}

/**
 * The cache entries of one direction, checked, local directories made absolute. `property` is
 * where they came from (`cacheFrom`, `environments.dev.cacheTo`).
 */
export function planCacheEntries(
  entries: readonly string[],
  direction: "from" | "to",
  property: string,
  hasBuilder: boolean,
  diagnostics: Diagnostic[],
): string[] {
  const problem = (at: string, message: string, hint: string): void => {
    diagnostics.push({ severity: "error", code: "invalid-cache", property: at, message, hint });
  };
  const planned: string[] = [];
  entries.forEach((text, i) => {
    const at = `${property}[${i}]`;
    if (!isCacheEntry(text)) {
      // A plain image reference: a registry cache to read (its form is the registry's business).
      if (direction === "from" && !/[,=\s]/.test(text)) planned.push(text);
      else
        problem(
          at,
          `"${excerpt(text)}" is neither an image nor a cache entry.`,
          direction === "from"
            ? 'Give an image ("registry.example.com/app:cache") or an entry starting with its type, e.g. "type=local,src=.cache/build".'
            : 'Start with its type, e.g. "type=local,dest=.cache/build,mode=max" or "type=gha,scope=app".',
        );
      return;
    }
    const parsed = checkEntry(
      text,
      tableOf(direction),
      direction === "from"
        ? { kind: "a cache type to import from", use: "to import" }
        : { kind: "a cache type to export to", use: "to export" },
      at,
      problem,
      (type) => example(type as CacheType, direction),
    );
    if (!parsed) return;
    const type = parsed.type as CacheType;
    const mode = parsed.attributes.find(([k]) => k === "mode")?.[1];
    if (mode !== undefined && mode !== "min" && mode !== "max")
      problem(
        at,
        `mode "${excerpt(mode)}" is neither min nor max.`,
        "mode=max exports every stage's layers; min only the image's.",
      );
    if (!hasBuilder && (type !== "registry" || direction === "to"))
      diagnostics.push(
        type !== "registry"
          ? needsBuilder(at, `reads registry caches only${direction === "to" ? " and exports none" : ""}`, {
              subject: `type=${type} `,
              code: "invalid-cache",
            })
          : needsBuilder(at, "exports none", { subject: "exporting a cache ", code: "invalid-cache" }),
      );
    planned.push(entryText(parsed, type === "local" ? ["src", "dest"] : []));
  });
  return planned;
}

/** The attributes of each cache type in one direction. */
function tableOf(direction: "from" | "to"): Record<string, Attributes> {
  return Object.fromEntries(
    (Object.keys(ATTRIBUTES) as CacheType[]).flatMap((t) => {
      const known = ATTRIBUTES[t][direction];
      return known ? [[t, known]] : [];
    }),
  );
}

/** A type's attributes: the ones it needs, the ones it may have. */
export interface Attributes {
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

/**
 * One buildx entry (`type=…,key=value,…`) checked against `table` (its types and their
 * attributes): the type with the closest one, unknown and missing attributes, credentials.
 * `role` says what the entry is for: `kind` ("a cache type to import from") and `use` ("to import").
 * @returns the parsed entry, or undefined when it is not one
 */
export function checkEntry(
  text: string,
  table: Readonly<Record<string, Attributes>>,
  role: { readonly kind: string; readonly use: string },
  at: string,
  problem: (at: string, message: string, hint: string) => void,
  example: (type: string) => string,
): { type: string; attributes: Array<[string, string]> } | undefined {
  const types = Object.keys(table);
  const parsed = parseCacheEntry(text);
  if (!parsed) {
    problem(at, `"${excerpt(text)}" is not a list of key=value.`, `Write it as buildx does: "${example(types[0])}".`);
    return undefined;
  }
  if (!types.includes(parsed.type)) {
    problem(
      at,
      `"${excerpt(parsed.type)}" is not ${role.kind}.${didYouMean(parsed.type, types)}`,
      `Use one of ${types.join(", ")}.`,
    );
    return undefined;
  }
  const known = [...table[parsed.type].required, ...table[parsed.type].optional];
  for (const [key] of parsed.attributes) {
    if (CREDENTIALS[key])
      problem(
        at,
        `holds a credential (${key}), which would be kept in the plan, the state and the build's log.`,
        `Remove it, and set ${CREDENTIALS[key]} in the environment of pulumi up instead (BuildKit reads it there).`,
      );
    else if (!known.includes(key))
      problem(
        at,
        `"${excerpt(key)}" is not an attribute of type=${parsed.type} ${role.use}.${didYouMean(key, known)}`,
        `Its attributes: ${known.join(", ") || "none"}.`,
      );
  }
  for (const required of table[parsed.type].required)
    if (!parsed.attributes.some(([k]) => k === required))
      problem(at, `type=${parsed.type} needs ${required}.`, `Add ${required}=…, e.g. "${example(parsed.type)}".`);
  return parsed;
}

/**
 * A checked entry as text again, the attributes in `paths` made absolute: a directory or file
 * is the program's (like \`context\`), so the build finds it wherever it runs.
 */
export function entryText(
  entry: { type: string; attributes: ReadonlyArray<readonly [string, string]> },
  paths: readonly string[],
): string {
  const attributes = entry.attributes.map(([k, v]) => (paths.includes(k) && v !== "" ? [k, path.resolve(v)] : [k, v]));
  return [`type=${entry.type}`, ...attributes.map(([k, v]) => `${k}=${v}`)].join(",");
}

/** An entry of `type` as a hint shows it. */
function example(type: CacheType, direction: "from" | "to"): string {
  switch (type) {
    case "registry":
      return "type=registry,ref=registry.example.com/app:buildcache";
    case "local":
      return direction === "from" ? "type=local,src=.cache/build" : "type=local,dest=.cache/build,mode=max";
    case "s3":
      return "type=s3,bucket=build-cache,region=eu-west-1";
    default:
      return `type=${type}`;
  }
}

/**
 * The image a `cacheFrom` entry reads, for builders that take images only: an image as it is,
 * a registry entry's `ref`; undefined for the other types.
 */
export function cacheImage(entry: string): string | undefined {
  if (!isCacheEntry(entry)) return entry;
  const parsed = parseCacheEntry(entry);
  return parsed?.type === "registry" ? parsed.attributes.find(([k]) => k === "ref")?.[1] : undefined;
}
