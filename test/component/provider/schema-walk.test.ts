/**
 * The schema other languages are generated from, against what `construct` does: walk every input
 * property of `schema.json` and check that the table the component reads (`COMPONENT_SPEC`)
 * declares the same fields, allowed values, secrets and Output-taking fields, then that construct
 * accepts each type the schema declares there and refuses any other, an unknown field and a value
 * outside the allowed ones, by that property's path.
 */
import { strict as assert } from "assert";
import { COMPONENT_SPEC } from "../../../src/component";
import type { FieldSpec } from "../../../src/plan";
import { COMPONENT_TYPE, packageProvider } from "../../../src/provider";
import { useStack } from "../mocks";
import { INPUTS, SAMPLE, declaredValues, walkSchema, walkTable, withValue } from "../../schema-places";

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
        const values = declaredValues(fromSchema, fromTable, where, kind);
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

  it("a required field Go leaves out arrives as its zero value, and construct refuses it by its path", async () => {
    // Go's SDK sends an object type's required scalar as its plain struct holds it: "" when unset.
    const zeros: Array<[string, unknown]> = [];
    for (const [where, place] of fromSchema)
      if (place.kinds.size === 1 && place.kinds.has("object"))
        for (const field of place.required ?? []) {
          const kinds = fromSchema.get(`${where}.${field}`)!.kinds;
          if (kinds.size === 1 && kinds.has("string")) zeros.push([`${where}.${field}`, ""]);
        }
    assert.ok(zeros.length >= 3, `found ${zeros.map(([w]) => w).join(", ")}`);
    const taken: string[] = [];
    for (const [place, zero] of zeros) {
      // An environment's own settings are checked when its stack runs: the walk's stack is dev.
      const where = place.replace(/^environments\.k\./, "environments.dev.");
      const reason = (await refusals(withValue(where, zero))).get(where);
      if (!reason) taken.push(`${where} = ${JSON.stringify(zero)}`);
    }
    assert.deepEqual(taken, []);
  });
});
