/**
 * Every place of the package schema's inputs (`schema.json`), the kinds of value it declares there,
 * and values of each: what the schema walk (test/component/provider/schema-walk.test.ts) sends to
 * construct, and what the SDK tests (test/package/sdks.test.ts) send from other languages.
 */
import * as path from "path";
import { COMPONENT_SPEC } from "../src/component";
import type { FieldSpec } from "../src/plan";
import { COMPONENT_TYPE, packageSchema } from "../src/provider";
import { REPO_ROOT } from "./helpers";

export type Spec = Record<string, unknown> & {
  type?: string;
  $ref?: string;
  oneOf?: Spec[];
  items?: Spec;
  additionalProperties?: Spec;
  properties?: Record<string, Spec>;
  description?: string;
  secret?: boolean;
  plain?: boolean;
};
export type Kind = "string" | "boolean" | "number" | "list" | "map" | "object" | "any";

export interface Place {
  path: string;
  kinds: Set<Kind>;
  allowed?: string[];
  fields?: string[];
  required?: string[];
  secret: boolean;
  /** Where the schema says any value: the forms the table takes there (each is tried). */
  forms?: FieldSpec[];
}

export const schema = JSON.parse(packageSchema()) as {
  types: Record<string, Spec>;
  resources: Record<string, { inputProperties: Record<string, Spec> }>;
};
export const INPUTS = schema.resources[COMPONENT_TYPE].inputProperties;

/** "One of `"a"`, `"b"`." in a description: the schema's allowed values ("Each one of" for a list's items). */
function allowedOf(spec: Spec, items = false): string[] | undefined {
  const match = new RegExp(`${items ? "Each one" : "(?<!Each )One"} of ((?:\`"[^"]*"\`(?:, )?)+)\\.`).exec(
    spec.description ?? "",
  );
  return match ? [...match[1].matchAll(/`"([^"]*)"`/g)].map((m) => m[1]) : undefined;
}

/** Every place of the schema's inputs, with the kinds of value it declares there. */
export function walkSchema(): Map<string, Place> {
  const places = new Map<string, Place>();
  const visit = (spec: Spec, where: string, depth: number, inherited?: Spec): void => {
    const place = places.get(where) ?? { path: where, kinds: new Set<Kind>(), secret: false };
    places.set(where, place);
    const described = inherited ?? spec;
    if (described.secret) place.secret = true;
    if (spec.oneOf) {
      for (const option of spec.oneOf) visit(option, where, depth, described);
      return;
    }
    if (spec.$ref === "pulumi.json#/Any") return void place.kinds.add("any");
    if (spec.$ref) {
      const type = schema.types[spec.$ref.replace("#/types/", "")];
      place.kinds.add("object");
      place.fields = Object.keys(type.properties ?? {});
      place.required = (type.required as string[] | undefined) ?? [];
      if (depth < 6)
        for (const [name, p] of Object.entries(type.properties ?? {})) visit(p, `${where}.${name}`, depth + 1);
      return;
    }
    if (spec.type === "array") {
      place.kinds.add("list");
      const itemValues = allowedOf(described, true);
      visit(spec.items as Spec, `${where}[0]`, depth + 1);
      const item = places.get(`${where}[0]`);
      if (itemValues && item && (spec.items as Spec).type === "string") item.allowed = itemValues;
      return;
    }
    if (spec.type === "object") {
      place.kinds.add("map");
      return visit(spec.additionalProperties as Spec, `${where}.k`, depth + 1);
    }
    place.kinds.add(spec.type as Kind);
    const allowed = allowedOf(described);
    if (allowed && spec.type === "string") place.allowed = allowed;
  };
  for (const [name, spec] of Object.entries(INPUTS)) visit(spec, name, 0);
  return places;
}

/** The same walk over the table the component reads. */
export function walkTable(): Map<string, Place> {
  const places = new Map<string, Place>();
  const visit = (spec: FieldSpec, where: string, secret: boolean): void => {
    const place = places.get(where) ?? { path: where, kinds: new Set<Kind>(), secret: false };
    places.set(where, place);
    if (spec.secret || secret) place.secret = true;
    switch (spec.type) {
      case "oneOf":
        // A list among other forms is any value in the schema (Python cannot send a list for a union).
        if (
          spec.options.some((o) => o.type === "list") &&
          spec.options.filter((o) => o.type !== "function").length > 1
        ) {
          place.forms = spec.options.filter((o) => o.type !== "function");
          return void place.kinds.add("any");
        }
        return spec.options.forEach((o) => visit(o, where, !!spec.secret));
      case "object":
        place.kinds.add("object");
        place.fields = Object.keys(spec.fields);
        for (const [name, f] of Object.entries(spec.fields)) visit(f, `${where}.${name}`, false);
        return;
      case "list":
        place.kinds.add("list");
        return visit(spec.of, `${where}[0]`, false);
      case "map":
        place.kinds.add("map");
        return visit(spec.of, `${where}.k`, false);
      case "function":
        return; // TypeScript only: not in the schema (its cross-language form is)
      default:
        place.kinds.add(spec.type);
        if (spec.type === "string" && spec.allowed) place.allowed = [...spec.allowed];
    }
  };
  if (COMPONENT_SPEC.type !== "object") throw new Error("COMPONENT_SPEC is not an object");
  for (const [name, spec] of Object.entries(COMPONENT_SPEC.fields)) visit(spec, name, false);
  return places;
}

const SERVICE = path.join(REPO_ROOT, "examples", "node-service", "app");
const BASE = {
  context: SERVICE,
  gitSha: "0123456789abcdef0123456789abcdef01234567",
  buildArgs: { APP_VERSION: "1.0.0" },
  registry: { repository: "registry.example.com/team/app", username: "ci", password: "hunter2" },
};

/** `BASE` with `value` at `where` (`a.b[0].c`; a map's key is `k`), the objects on the way made. */
export function withValue(where: string, value: unknown): Record<string, unknown> {
  const args = structuredClone(BASE) as Record<string, unknown>;
  // The ECR repository and another registry are exclusive: a repository's field goes without the registry.
  if (where.startsWith("repository")) delete args.registry;
  const steps = where.split(/\.|(?=\[)/);
  let node: Record<string, unknown> | unknown[] = args;
  steps.forEach((step, i) => {
    const last = i === steps.length - 1;
    const index = /^\[(\d+)\]$/.exec(step);
    const key: string | number = index ? Number(index[1]) : step;
    const next = steps[i + 1];
    const container = node as Record<string | number, unknown>;
    if (last) container[key] = value;
    else {
      const existing = container[key];
      container[key] =
        existing && typeof existing === "object"
          ? existing
          : next?.startsWith("[")
            ? []
            : ({} as Record<string, unknown>);
      node = container[key] as Record<string, unknown>;
    }
  });
  return args;
}

export const SAMPLE: Record<Kind, unknown> = {
  string: "x",
  boolean: true,
  number: 7,
  list: [],
  map: {},
  object: {},
  any: null,
};
/** Strings whose form is checked at once (a size), given in that form. */
const STRING_AT: Record<string, string> = { "environments.k.sizeBudget": "120MB", shmSize: "64MB" };

/** A value of `kind` at `where` that the schema declares: a list holds one item, an object its required fields. */
export function sample(places: Map<string, Place>, where: string, kind: Kind): unknown {
  const place = places.get(where);
  if (kind === "string") return STRING_AT[where] ?? place?.allowed?.[0] ?? "x";
  if (kind === "list") {
    const item = places.get(`${where}[0]`);
    const first = item && [...item.kinds][0];
    return first ? [sample(places, `${where}[0]`, first)] : [];
  }
  if (kind === "object")
    return Object.fromEntries(
      (place?.required ?? []).map((f) => [
        f,
        sample(places, `${where}.${f}`, [...places.get(`${where}.${f}`)!.kinds][0]),
      ]),
    );
  return SAMPLE[kind];
}
/** Values of a form the table declares (where the schema says any value): each boolean, a list of one. */
export function formSamples(form: FieldSpec): unknown[] {
  switch (form.type) {
    case "boolean":
      return [true, false];
    case "list":
      return [formSamples(form.of).slice(0, 1)];
    case "number":
      return [7];
    case "string":
      return [form.allowed?.[0] ?? "x"];
    default:
      return [{}];
  }
}

/** The values the schema declares at `where` (each of `kind`): each boolean, each allowed string, a sample. */
export function declaredValues(
  fromSchema: Map<string, Place>,
  fromTable: Map<string, Place>,
  where: string,
  kind: Kind,
): unknown[] {
  const place = fromSchema.get(where);
  const forms = kind === "any" ? fromTable.get(where)?.forms : undefined;
  return forms
    ? forms.flatMap(formSamples)
    : kind === "boolean"
      ? [true, false]
      : kind === "string" && place?.allowed
        ? place.allowed
        : [sample(fromSchema, where, kind)];
}
