/**
 * What each field of the args is, declared once beside the args (`Fields<T>` makes the compiler
 * check every field is listed and no other): its type, its allowed values, whether it takes a
 * Pulumi Output (`late`) and whether its values are secrets. The component checks args against
 * it (unknown fields, allowed values, types), the provider reads from it which inputs may be
 * Outputs or secrets, and the schema generator which are secret. Pure.
 */
import { type Diagnostic, didYouMean, excerpt, findCredential } from "../dockerfile";

export interface FieldFlags {
  /** Takes a Pulumi Output here (known only once it resolves); otherwise it must be known at construction. */
  readonly late?: boolean;
  /** Its values are secrets (`secret` in the schema; kept secret by the component). */
  readonly secret?: boolean;
  /**
   * Its values are kept in the plan, the state and the logs, so a credential in one (a URL's
   * user or password, a query token, a private key: `findCredential`) is refused, here and in
   * everything under it; the text is the refusal's fix.
   */
  readonly credentialFree?: string;
  /** How a refusal says the value it takes ("a stage name, true or false"), when its type does not say it well. */
  readonly expected?: string;
  /** The form a value of the right type must also have (a size), refused as not `expected` when it has not. */
  readonly form?: (value: unknown) => boolean;
  /**
   * A build input, handed to BuildKit as given: the back ends besides `docker-cli` (which carries
   * every one) whose providers take it. The component refuses it on any other back end.
   */
  readonly carriedBy?: readonly CarryingBackend[];
  /** A build setting: how it reaches the builders' flags and Bake, and what else it needs (see `BuildColumn`). */
  readonly build?: BuildColumn<unknown>;
  /**
   * An environment setting that is also a common arg (`environments.<env>.labels` and `labels`):
   * how the environment's value combines with the common one. `merged`: a map, the environment's
   * keys over the common ones; `added`: a list, the environment's items after the common ones;
   * `replaces`: the environment's value instead; `yields`: the common arg wins; `switches`: the
   * environment turns the common arg on or off. Stack config's entry combines with the code's
   * entry of the same environment by the same rule (`mergeEnvironments`), a plain value replacing.
   */
  readonly combines?: "merged" | "added" | "replaces" | "yields" | "switches";
  /** The code of the problems found here and under it (an ECR repository's are `invalid-repository`). */
  readonly code?: Diagnostic["code"];
  /** The type a hint names for the problems here and under it (`RepositoryArgs`). */
  readonly see?: string;
}

/** The back ends that carry only some build inputs (`docker-cli` carries them all). */
export type CarryingBackend = "docker-build" | "docker";

/**
 * How a build setting (`network`, `ulimits`…: how BuildKit runs the build) reaches the builders:
 * the plan's value, the flag `docker build`, `buildx build` and `podman build` take, and the key
 * of a Bake target. Everything that passes build settings reads these columns: the plan, the
 * argument builders, `multistage bake`, the refusals without a builder, the inputs hash.
 */
export interface BuildColumn<V> {
  /** The flag, as `buildx build` spells it. */
  readonly flag: `--${string}`;
  /** Its key in a Bake target, as buildx's `Target` spells it. */
  readonly bake: string;
  /** The plan's value from the arg's, its default when the arg is absent (`undefined`: left out of the plan). */
  settle(given: unknown): V;
  /** The flags for a value; none when it asks for nothing (so a setting is in use exactly when it has flags). */
  argv(value: V): string[];
  /** The Bake key's value (`undefined`: left out). */
  bakeValue(value: V): unknown;
  /** Only buildx has the flag (the Docker engine's builder has none); refused without a `builder` anyway (`needsBuilder`). */
  readonly buildxOnly?: boolean;
  /**
   * Refused without a `builder`: what the Docker engine's builder (and a daemonless engine) does
   * with it instead (`"leaves /dev/shm at its default"`), and another way, said after the fix.
   */
  readonly needsBuilder?: { readonly why: string; readonly or?: string };
  /** Its new value rebuilds the image (it counts in the inputs hash). @default false: it changes how, not what, is built */
  readonly rebuilds?: boolean;
}

/** A build setting given once per item of a list (`--ulimit a --ulimit b`; Bake: the list). */
export function listFlag(
  flag: `--${string}`,
  bake: string,
  more: Partial<BuildColumn<string[]>> = {},
): BuildColumn<string[]> {
  return {
    flag,
    bake,
    settle: (given) => [...((given as string[] | undefined) ?? [])],
    argv: (value) => value.flatMap((item) => [flag, item]),
    bakeValue: (value) => (value.length ? value : undefined),
    ...more,
  };
}

/** A build setting that is a switch (`--pull`; Bake: `true`), off by default. */
export function switchFlag(
  flag: `--${string}`,
  bake: string,
  more: Partial<BuildColumn<boolean>> = {},
): BuildColumn<boolean> {
  return {
    flag,
    bake,
    settle: (given) => given === true,
    argv: (value) => (value ? [flag] : []),
    bakeValue: (value) => (value ? true : undefined),
    ...more,
  };
}

/** A build setting with one value (`--network host`; Bake: the value as a string), left out when absent. */
export function valueFlag<V extends string | number = string>(
  flag: `--${string}`,
  bake: string,
  more: Partial<BuildColumn<V | undefined>> = {},
): BuildColumn<V | undefined> {
  return {
    flag,
    bake,
    settle: (given) => given as V | undefined,
    argv: (value) => (value === undefined ? [] : [flag, String(value)]),
    bakeValue: (value) => (value === undefined ? undefined : String(value)),
    ...more,
  };
}

/** A field that is a build setting: its declaration with its build column and the back ends that carry it. */
export function buildSetting<S extends FieldSpec, V>(
  spec: S,
  build: BuildColumn<V>,
  carriedBy: readonly CarryingBackend[],
): S & { readonly build: BuildColumn<V>; readonly carriedBy: readonly CarryingBackend[] } {
  return { ...spec, build, carriedBy };
}

/** A field that is a build input handed to BuildKit as given, carried by `docker-cli` and by `carriedBy`. */
export function buildInput<S extends FieldSpec>(
  spec: S,
  carriedBy: readonly CarryingBackend[],
): S & { readonly carriedBy: readonly CarryingBackend[] } {
  return { ...spec, carriedBy };
}

/** One field's declaration. */
export type FieldSpec =
  | (FieldFlags & { readonly type: "string"; readonly allowed?: readonly string[] })
  | (FieldFlags & { readonly type: "boolean" | "number" | "any" | "function" })
  | (FieldFlags & { readonly type: "list"; readonly of: FieldSpec })
  | (FieldFlags & { readonly type: "map"; readonly of: FieldSpec })
  | (FieldFlags & {
      readonly type: "object";
      readonly name: string;
      readonly fields: FieldTable;
      /** The fields it must have. */
      readonly required?: readonly string[];
    })
  | (FieldFlags & { readonly type: "oneOf"; readonly options: readonly FieldSpec[] });

/** The fields of an object type, by name. */
export type FieldTable = Readonly<Record<string, FieldSpec>>;

/** An object type's declaration: its name and its fields. */
export type ObjectSpec = Extract<FieldSpec, { type: "object" }>;

/** Every field of `T`, required or not, and nothing else. */
export type Fields<T> = { readonly [K in keyof T]-?: FieldSpec };

/** A string field whose allowed values are exactly the members of `T` (the record makes the compiler check). */
export function allowedValues<T extends string>(values: Record<T, true>, flags: FieldFlags = {}): FieldSpec {
  return { type: "string", allowed: Object.keys(values), ...flags };
}

export const STRING: FieldSpec = { type: "string" };
export const BOOLEAN: FieldSpec = { type: "boolean" };
export const NUMBER: FieldSpec = { type: "number" };
export const STRINGS: FieldSpec = { type: "list", of: STRING };
export const STRING_MAP: FieldSpec = { type: "map", of: STRING };

/** An object type's declaration. */
export function object<T>(
  name: string,
  fields: Fields<T>,
  flags: FieldFlags & { required?: ReadonlyArray<keyof T & string> } = {},
): ObjectSpec {
  return { type: "object", name, fields: fields as FieldTable, ...flags };
}

/** The fix said when a field that keeps its values refuses a credential, unless the field says its own. */
export const NO_CREDENTIALS =
  "Remove it: registries, caches and Git read credentials from the machine's own login (docker login, a credential helper, an SSH agent), and a build reads secrets through secrets: { … } (RUN --mount=type=secret).";

/** The same declaration, refusing credentials in its values (see `FieldFlags.credentialFree`). */
export function credentialFree(spec: FieldSpec, fix = NO_CREDENTIALS): FieldSpec {
  return { ...spec, credentialFree: fix };
}

/** The same declaration, taking Outputs (`late`). */
export function late<S extends FieldSpec>(spec: S): S & { readonly late: true } {
  return { ...spec, late: true };
}

/** The declarations directly under `spec`: an object's fields, a list's or map's items, a oneOf's options. */
export function childSpecs(spec: FieldSpec): readonly FieldSpec[] {
  if (spec.type === "object") return Object.values(spec.fields);
  if (spec.type === "list" || spec.type === "map") return [spec.of];
  if (spec.type === "oneOf") return spec.options;
  return [];
}

/** Whether `spec`, or anything under it, refuses credentials (`credentialFree`). */
export function checksCredentials(spec: FieldSpec): boolean {
  return spec.credentialFree !== undefined || childSpecs(spec).some(checksCredentials);
}

/** How `checkField` reports and what it passes over. */
export interface CheckOptions {
  /** The code of its diagnostics. */
  readonly code: Diagnostic["code"];
  /** A value known only later, checked once it resolves, not now. @default `isEventual` */
  readonly isLate?: (value: unknown) => boolean;
  /** The type to name in hints (`see MultiStageImageArgs`). */
  readonly see: string;
}

/**
 * A Pulumi Output or a Promise: a value known only later. Outputs are recognised by the brand
 * every copy of the Pulumi SDK puts on them (as `Output.isInstance` does), so this layer needs no SDK.
 */
export function isEventual(value: unknown): boolean {
  return (
    value instanceof Promise ||
    (typeof value === "object" && value !== null && (value as { __pulumiOutput?: unknown }).__pulumiOutput === true)
  );
}

/**
 * Check `value` against `spec` at `path`: unknown fields refused by name (the closest named),
 * a value outside the allowed ones (the closest suggested), the wrong type. A path that already
 * has a problem in `diagnostics` (a more specific check reported it) is not reported again.
 * @returns true when no problem is at `path` or under it (found now or before)
 */
export function checkField(
  value: unknown,
  spec: FieldSpec,
  path: string,
  diagnostics: Diagnostic[],
  options: CheckOptions,
): boolean {
  walk(value, spec, path, diagnostics, { isLate: isEventual, ...options });
  // Found now, or by a check before (the component's walk of the whole args): either way the value is not of its type.
  return !diagnostics.some((d) => d.severity === "error" && d.property !== undefined && within(d.property, path));
}

/** Whether `path` is `root` or under it (`root.field`, `root[0]`); everything is under the top (`""`). */
function within(path: string, root: string): boolean {
  return root === "" || path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`);
}

function walk(
  value: unknown,
  spec: FieldSpec,
  path: string,
  diagnostics: Diagnostic[],
  options: CheckOptions,
  noCredentials = spec.credentialFree,
): void {
  if (value === undefined || value === null) return;
  if (spec.code || spec.see) options = { ...options, code: spec.code ?? options.code, see: spec.see ?? options.see };
  const fix = spec.credentialFree ?? noCredentials;
  const report = reporter(diagnostics, options);
  const wrong = (expected: string): void =>
    report(
      path,
      `must be ${spec.expected ?? expected}, got ${describeValue(value)}.`,
      `Fix its type; see ${options.see}.`,
    );
  const inner = (item: unknown, of: FieldSpec, at: string): void => walk(item, of, at, diagnostics, options, fix);
  if (options.isLate?.(value)) {
    // Declared once: only a field that takes Outputs may be one; the others decide the plan now.
    if (!spec.late)
      report(
        path,
        "is an Output (known only once it resolves), but it decides the plan and the resources when the component is constructed.",
        `Pass a plain value here; Outputs go where ${options.see} takes pulumi.Input.`,
      );
    return;
  }
  // A value of the field's type that lacks its form (a size that is not one): said as what it takes.
  if (spec.form && fits(value, spec) && !spec.form(value)) return wrong(describeSpec(spec));
  switch (spec.type) {
    case "any":
      return;
    case "function":
      if (typeof value !== "function") wrong("a function");
      return;
    case "string":
      if (typeof value !== "string") return wrong("a string");
      return checkString(value, spec, path, fix, report);
    case "boolean":
    case "number":
      if (typeof value !== spec.type) wrong(spec.type === "boolean" ? "true or false" : "a number");
      return;
    case "list":
      if (!Array.isArray(value)) return wrong(`a list${describeItems(spec.of)}`);
      value.forEach((item, i) => inner(item, spec.of, `${path}[${i}]`));
      return;
    case "map":
      if (!isRecord(value)) return wrong(`a map${describeItems(spec.of)}`);
      for (const [key, item] of Object.entries(value)) inner(item, spec.of, joinPath(path, key));
      return;
    case "object":
      return isRecord(value) ? walkFields(value, spec, path, inner, report) : wrong(`an object (${spec.name})`);
    case "oneOf": {
      const option = spec.options.find((o) => fits(value, o));
      if (option) return inner(value, option, path);
      return wrong(spec.options.map(describeSpec).join(", or "));
    }
  }
}

/** Where a check's problem goes: its path, message and fix, once. */
type Report = (path: string, message: string, hint: string, under?: boolean) => void;

/** Report a problem unless its path was reported already (or, `under`, a path above it: a wrong type there is that report's). */
function reporter(diagnostics: Diagnostic[], options: CheckOptions): Report {
  const reported = (p: string, under: boolean): boolean =>
    diagnostics.some(
      (d) =>
        d.severity === "error" && d.property !== undefined && (p === d.property || (under && within(p, d.property))),
    );
  return (p, message, hint, under = true) => {
    if (!reported(p, under))
      diagnostics.push({ severity: "error", code: options.code, property: p || undefined, message, hint });
  };
}

/** `a.b` (or `b` at the top). */
function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** A string: no credential where the field is credential-free (`fix` says how), one of the allowed values. */
function checkString(
  value: string,
  spec: Extract<FieldSpec, { type: "string" }>,
  path: string,
  fix: string | undefined,
  report: Report,
): void {
  const carried = fix === undefined ? undefined : findCredential(value);
  if (carried)
    return report(
      path,
      `holds ${carried}, which would be kept in the plan, the state and the logs (shown here without it: "${excerpt(value, 80)}").`,
      fix as string,
      false,
    );
  if (spec.allowed && !spec.allowed.includes(value))
    report(
      path,
      `"${excerpt(value, 60)}" is not one of ${spec.allowed.map((v) => `"${v}"`).join(", ")}.${closeByCase(value, spec.allowed) || didYouMean(value, spec.allowed)}`,
      `Use one of ${spec.allowed.map((v) => `"${v}"`).join(", ")}.`,
      false,
    );
}

/** An object's fields, each checked by its entry; a field it does not have is named with the closest. */
function walkFields(
  value: Record<string, unknown>,
  spec: Extract<FieldSpec, { type: "object" }>,
  path: string,
  inner: (item: unknown, of: FieldSpec, at: string) => void,
  report: Report,
): void {
  const names = Object.keys(spec.fields);
  for (const field of spec.required ?? [])
    if (value[field] === undefined)
      report(
        joinPath(path, field),
        `is missing: ${path || spec.name} needs it.`,
        `Give ${field} (${describeSpec(spec.fields[field])}).`,
        false,
      );
  for (const [key, item] of Object.entries(value)) {
    const field = spec.fields[key];
    if (field) inner(item, field, joinPath(path, key));
    else
      report(
        joinPath(path, key),
        `is not a field of ${path || spec.name}.${didYouMean(key, names)}`,
        `Its fields: ${names.join(", ")}.`,
        false,
      );
  }
}

/** Whether `value` has the JavaScript type `spec` takes (the option of a oneOf to check it against). */
function fits(value: unknown, spec: FieldSpec): boolean {
  switch (spec.type) {
    case "any":
      return true;
    case "list":
      return Array.isArray(value);
    case "map":
    case "object":
      return isRecord(value);
    case "oneOf":
      return spec.options.some((o) => fits(value, o));
    default:
      return typeof value === spec.type;
  }
}

function describeSpec(spec: FieldSpec): string {
  if (spec.expected) return spec.expected;
  switch (spec.type) {
    case "string":
      return spec.allowed ? spec.allowed.map((v) => `"${v}"`).join(", ") : "a string";
    case "boolean":
      return "true or false";
    case "number":
      return "a number";
    case "list":
      return `a list${describeItems(spec.of)}`;
    case "map":
      return `a map${describeItems(spec.of)}`;
    case "object":
      return `an object (${spec.name})`;
    case "oneOf":
      return spec.options.map(describeSpec).join(", or ");
    default:
      return spec.type === "function" ? "a function" : "any value";
  }
}

function describeItems(of: FieldSpec): string {
  return of.type === "string" && !of.allowed ? " of strings" : of.type === "object" ? ` of ${of.name}` : "";
}

/** ` Did you mean "MUTABLE"?` for a value that differs only in case. */
function closeByCase(value: string, allowed: readonly string[]): string {
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  return match ? ` Did you mean "${match}"?` : "";
}

/** A value as a message may show it: JSON, bounded. */
export function describeValue(value: unknown): string {
  if (typeof value === "function") return "a function";
  // JSON would say null for these.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : excerpt(text, 60);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
