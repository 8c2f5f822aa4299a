/**
 * The schema other languages are generated from, against what `construct` does: walk every input
 * property of `schema.json` and check that the table the component reads (`COMPONENT_SPEC`)
 * declares the same fields, allowed values, secrets and Output-taking fields, then that construct
 * accepts each type the schema declares there and refuses any other, an unknown field and a value
 * outside the allowed ones, by that property's path.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { COMPONENT_SPEC } from "../../../src/component";
import type { FieldSpec } from "../../../src/plan";
import { COMPONENT_TYPE, packageProvider, packageSchema } from "../../../src/provider";
import { REPO_ROOT } from "../../helpers";
import { useStack } from "../mocks";

type Spec = Record<string, unknown> & {
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
type Kind = "string" | "boolean" | "number" | "list" | "map" | "object" | "any";

interface Place {
  path: string;
  kinds: Set<Kind>;
  allowed?: string[];
  fields?: string[];
  required?: string[];
  secret: boolean;
  /** Where the schema says any value: the forms the table takes there (each is tried). */
  forms?: FieldSpec[];
}

const schema = JSON.parse(packageSchema()) as {
  types: Record<string, Spec>;
  resources: Record<string, { inputProperties: Record<string, Spec> }>;
};
const INPUTS = schema.resources[COMPONENT_TYPE].inputProperties;

/** "One of `"a"`, `"b"`." in a description: the schema's allowed values. */
function allowedOf(spec: Spec): string[] | undefined {
  const match = /One of ((?:`"[^"]*"`(?:, )?)+)\./.exec(spec.description ?? "");
  return match ? [...match[1].matchAll(/`"([^"]*)"`/g)].map((m) => m[1]) : undefined;
}

/** Every place of the schema's inputs, with the kinds of value it declares there. */
function walkSchema(): Map<string, Place> {
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
      return visit(spec.items as Spec, `${where}[0]`, depth + 1);
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
function walkTable(): Map<string, Place> {
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
function withValue(where: string, value: unknown): Record<string, unknown> {
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

/** The property paths construct refuses `args` at, with their reasons. */
async function refusals(args: Record<string, unknown>): Promise<Map<string, string>> {
  useStack("dev");
  try {
    await packageProvider().construct!("app", COMPONENT_TYPE, args, {});
    return new Map();
  } catch (err) {
    const errors = (err as { errors?: Array<{ propertyPath: string; reason: string }> }).errors;
    if (!errors) throw err;
    return new Map(errors.map((e) => [e.propertyPath, e.reason]));
  }
}

const SAMPLE: Record<Kind, unknown> = {
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
function sample(places: Map<string, Place>, where: string, kind: Kind): unknown {
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
function formSamples(form: FieldSpec): unknown[] {
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
/** Reasons that say the value's type, name or allowed value is wrong (not a later, semantic check). */
const TYPE_PROBLEM = /must be|is not a field|is not one of|is an Output/;

describe("The schema against construct, walked", () => {
  const fromSchema = walkSchema();
  const fromTable = walkTable();

  it("the table declares every place of the schema's inputs, with the same kinds, fields, allowed values and secrets", () => {
    assert.deepEqual([...fromTable.keys()].sort(), [...fromSchema.keys()].sort());
    for (const [where, s] of fromSchema) {
      const t = fromTable.get(where)!;
      assert.deepEqual([...t.kinds].sort(), [...s.kinds].sort(), `${where}: kinds`);
      assert.deepEqual(t.fields, s.fields, `${where}: fields`);
      assert.deepEqual(t.allowed?.slice().sort(), s.allowed?.slice().sort(), `${where}: allowed values`);
      assert.equal(t.secret, s.secret, `${where}: secret`);
    }
    assert.ok(fromSchema.get("registry.password")?.secret, "registry.password is secret in the schema");
  });

  it("a top-level input takes Outputs in the table exactly where the schema says it is not plain", () => {
    if (COMPONENT_SPEC.type !== "object") throw new Error("not an object");
    // The schema's rule: an Input, or a list or map of Inputs (an object type's fields say their own).
    const takes = (f: FieldSpec): boolean =>
      !!f.late ||
      ((f.type === "list" || f.type === "map") && takes(f.of)) ||
      (f.type === "oneOf" && f.options.some(takes));
    for (const [name, spec] of Object.entries(INPUTS))
      assert.equal(takes(COMPONENT_SPEC.fields[name]), spec.plain !== true, `${name}: plain is ${spec.plain}`);
  });

  it(`construct accepts each type the schema declares at each place (${walkSchema().size} places)`, async () => {
    const wrong: string[] = [];
    for (const [where, place] of fromSchema) {
      for (const kind of place.kinds) {
        const forms = kind === "any" ? fromTable.get(where)?.forms : undefined;
        const values = forms
          ? forms.flatMap(formSamples)
          : kind === "boolean"
            ? [true, false]
            : kind === "string" && place.allowed
              ? place.allowed
              : [sample(fromSchema, where, kind)];
        for (const v of values) {
          const reason = (await refusals(withValue(where, v))).get(where);
          if (reason && TYPE_PROBLEM.test(reason)) wrong.push(`${where} = ${JSON.stringify(v)}: ${reason}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("construct refuses, by path, a type the schema does not declare, an unknown field and a value outside the allowed ones", async () => {
    const missed: string[] = [];
    for (const [where, place] of fromSchema) {
      if (place.kinds.has("any")) continue;
      const bad: unknown[] = [];
      const other = (["number", "boolean", "string", "list"] as const).find(
        (k) => !place.kinds.has(k) && !(k === "list" && place.kinds.has("list")),
      );
      if (other) bad.push(other === "list" ? ["x"] : SAMPLE[other]);
      if (place.allowed) bad.push("not-one-of-them");
      for (const v of bad) {
        const found = await refusals(withValue(where, v));
        if (!found.has(where))
          missed.push(`${where} = ${JSON.stringify(v)}: refused at [${[...found.keys()].join(", ")}]`);
      }
      if (place.kinds.has("object")) {
        const found = await refusals(withValue(`${where}.notAField`, "x"));
        if (!found.has(`${where}.notAField`))
          missed.push(`${where}.notAField: refused at [${[...found.keys()].join(", ")}]`);
      }
    }
    assert.deepEqual(missed, []);
  });
});
