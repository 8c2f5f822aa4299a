/**
 * The component's args as the package provider receives them from another language's program:
 * each top-level value plain, or an Output when it is a secret or comes from another resource,
 * with unknown values (at preview) and secrets possibly nested inside. Which fields take Outputs
 * and which are secrets is `COMPONENT_SPEC`'s, declared once: a field that takes Outputs gets
 * one (unknown, or secret, as sent); any other must be known and plain at construction, and is
 * refused by its property path when it is not.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MultiStageImageArgs } from "../component";
import { COMPONENT_FIELDS, InvalidInputsError } from "../component";
import { type FieldSpec, childSpecs } from "../plan";

type Problem = { property: string; message: string; hint: string };

/** `inputs` as `MultiStageImageArgs`; a value that must be known but is not, or a secret where none can be, is refused by path. */
export async function componentArgs(name: string, inputs: pulumi.Inputs): Promise<MultiStageImageArgs> {
  const args: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(inputs)) {
    const spec = COMPONENT_FIELDS[key];
    // A field the component does not have: passed on, for the component to refuse by name.
    if (!spec) args[key] = value;
    else if (!pulumi.Output.isInstance(value)) args[key] = restore(value, spec, key, false, problems);
    else if (spec.late) args[key] = value;
    else {
      const output = value as unknown as Sent;
      const [raw, secret, known] = await Promise.all([output.promise(true), pulumi.isSecret(value), output.isKnown]);
      // An unknown sent as an output value (Python, Go, YAML at preview) resolves to undefined,
      // not to the unknown sentinel: it is unknown all the same, never a field left out.
      args[key] = restore(known || raw !== undefined ? raw : pulumi.unknown, spec, key, secret, problems);
    }
  }
  if (problems.length)
    throw new InvalidInputsError(
      name,
      problems.map((p) => ({ severity: "error", code: "invalid-argument", ...p })),
    );
  return args as unknown as MultiStageImageArgs;
}

/** What the SDK's Outputs carry (not in its public types): the value with unknowns kept in place. */
interface Sent {
  promise(withUnknowns: boolean): Promise<unknown>;
  readonly isKnown: Promise<boolean>;
}

/**
 * `value` at `path` rebuilt for the component: an unknown or (inside a secret) a value where
 * `spec` takes Outputs becomes an unknown or secret Output; where it does not, a problem.
 */
function restore(
  value: unknown,
  spec: FieldSpec | undefined,
  path: string,
  secret: boolean,
  problems: Problem[],
): unknown {
  if (spec?.late && (pulumi.isUnknown(value) || (secret && value !== undefined && value !== null))) {
    const output = pulumi.output(value);
    return secret ? pulumi.secret(output) : output;
  }
  if (pulumi.isUnknown(value)) {
    problems.push({
      property: path,
      message: `is not known yet (it comes from another resource's output), and it decides the plan and the resources when the component is constructed.`,
      hint: `Pass ${path} as a value the program knows at preview; only fields MultiStageImageArgs types as pulumi.Input may come from outputs.`,
    });
    return undefined;
  }
  if (secret && value !== undefined && value !== null && !takesOutputs(spec)) {
    problems.push({
      property: path,
      message: `is a secret, but it decides the plan and lands in tags, outputs and the image.`,
      hint: `Pass ${path} as a plain value; put secret values in secrets (build secrets) or registry.password.`,
    });
    return undefined;
  }
  if (Array.isArray(value)) {
    const of = spec?.type === "list" ? spec.of : undefined;
    return value.map((v, i) => restore(v, of, `${path}[${i}]`, secret, problems));
  }
  if (value !== null && typeof value === "object" && !pulumi.Output.isInstance(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, restore(v, fieldOf(spec, k, v), `${path}.${k}`, secret, problems)]),
    );
  }
  return value;
}

/** Whether `spec` or anything under it takes Outputs (so a secret may be sent there). */
function takesOutputs(spec: FieldSpec | undefined): boolean {
  return spec !== undefined && (spec.late === true || childSpecs(spec).some(takesOutputs));
}

/** The declaration of field `key` of a value `spec` declares (the object option of a oneOf). */
function fieldOf(spec: FieldSpec | undefined, key: string, value: unknown): FieldSpec | undefined {
  if (!spec) return undefined;
  if (spec.type === "map") return spec.of;
  if (spec.type === "object") return spec.fields[key];
  if (spec.type === "oneOf")
    for (const option of spec.options) {
      const found = fieldOf(option, key, value);
      if (found) return found;
    }
  return undefined;
}
