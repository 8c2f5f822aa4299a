/**
 * The component's args as the package provider receives them from another language's program:
 * each top-level value plain, or an Output when it is a secret or comes from another resource.
 * Args typed as Pulumi inputs keep their Outputs; the others decide the plan and the resources
 * at construction, so they must be known then.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MultiStageImageArgs } from "../component";
import { LATE_PLAN_ARGS } from "../plan";
import { InvalidInputsError } from "../component";

/** Args whose TypeScript type takes an Output at the top level. */
const TAKES_OUTPUTS: ReadonlySet<string> = new Set([...LATE_PLAN_ARGS, "push", "buildOnPreview"]);
/** Args that may be secret as a whole: their values are Inputs, made secrets one by one. */
const SECRET_RECORDS: ReadonlySet<string> = new Set(["secrets", "registry", "repository"]);

/** `inputs` as `MultiStageImageArgs`; an arg that must be known but is not, or a secret where none can be, is refused by name. */
export async function componentArgs(name: string, inputs: pulumi.Inputs): Promise<MultiStageImageArgs> {
  const args: Record<string, unknown> = {};
  const problems: Array<{ property: string; message: string; hint: string }> = [];
  for (const [key, value] of Object.entries(inputs)) {
    if (!pulumi.Output.isInstance(value) || TAKES_OUTPUTS.has(key)) {
      args[key] = value;
      continue;
    }
    if (!(await isKnown(value))) {
      problems.push({
        property: key,
        message: `${key} is not known yet (it comes from another resource's output), and it decides the plan and the resources when the component is constructed.`,
        hint: `Pass ${key} as a value the program knows at preview; only ${[...TAKES_OUTPUTS].join(", ")} and the fields of secrets, registry and repository may come from outputs.`,
      });
      continue;
    }
    const resolved = await new Promise<unknown>((resolve) => value.apply(resolve));
    if (!(await pulumi.isSecret(value))) args[key] = resolved;
    else if (SECRET_RECORDS.has(key)) args[key] = secretLeaves(resolved);
    else
      problems.push({
        property: key,
        message: `${key} is a secret, but it decides the plan and lands in tags, outputs and the image.`,
        hint: `Pass ${key} as a plain value; put secret values in secrets (build secrets) or registry.password.`,
      });
  }
  if (problems.length)
    throw new InvalidInputsError(
      name,
      problems.map((p) => ({ severity: "error", code: "invalid-argument", ...p })),
    );
  return args as unknown as MultiStageImageArgs;
}

/**
 * Whether an Output's value is known (during preview, another resource's output is not). The SDK
 * has no public test for it; every Output carries this promise (its RPC serialisation reads it).
 */
function isKnown(value: pulumi.Output<unknown>): Promise<boolean> {
  return (value as unknown as { isKnown: Promise<boolean> }).isKnown;
}

/** Every string in `value` as a secret Output, the structure kept. */
function secretLeaves(value: unknown): unknown {
  if (typeof value === "string") return pulumi.secret(value);
  if (Array.isArray(value)) return value.map(secretLeaves);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretLeaves(v)]));
  return value;
}
