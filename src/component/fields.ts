/**
 * Every field of `MultiStageImageArgs`, declared once: the plan args' (`PLAN_FIELDS`, the late
 * ones taking Outputs), the repository's and the registry's from their layers, and the
 * component's own. `resolveSpec` checks args against it, the provider reads from it which
 * inputs may be Outputs or secrets, and the schema generator which are secret.
 */
import { BACKENDS, type BackendName } from "../backends";
import { REPOSITORY_SPEC } from "../ecr";
import {
  BOOLEAN,
  BUILD_ARG_FIX,
  type Diagnostic,
  type FieldSpec,
  type Fields,
  PLAN_FIELDS,
  type PlanArgs,
  STRING,
  allowedValues,
  checkField,
  credentialFree,
  late,
  object,
} from "../plan";
import { REGISTRY_SPEC } from "../registry";
import type { AdditionalImageArgs, MultiStageImageArgs, SigningArgs } from "./args";

/** A late plan arg as the component takes it: an Output for the whole value and for each item. */
function lateDeep(spec: FieldSpec): FieldSpec {
  if (spec.type === "list" || spec.type === "map") return late({ ...spec, of: late(spec.of) });
  return late(spec);
}

const planFields = Object.fromEntries(
  Object.entries(PLAN_FIELDS as Fields<PlanArgs>).map(([key, spec]) => [key, spec.late ? lateDeep(spec) : spec]),
) as Fields<MultiStageImageArgs>;

/** `MultiStageImageArgs`, field by field. */
export const COMPONENT_SPEC = object<MultiStageImageArgs>("MultiStageImageArgs", {
  ...planFields,
  environment: STRING,
  secrets: {
    type: "map",
    of: { ...late(STRING), expected: "a string (a pulumi.secret)" },
    secret: true,
    expected: "a map of secret ids to values",
  },
  repository: { ...REPOSITORY_SPEC, expected: "an object" },
  registry: { ...REGISTRY_SPEC, expected: "an object" },
  backend: allowedValues<BackendName>(
    Object.fromEntries(Object.keys(BACKENDS).map((b) => [b, true])) as Record<BackendName, true>,
  ),
  deletePushedImages: BOOLEAN,
  signing: object<SigningArgs>("SigningArgs", {
    key: { ...late(STRING), secret: true },
    keyPassword: { ...late(STRING), secret: true },
    publicKeys: { type: "list", of: STRING },
  }),
  push: late(BOOLEAN),
  buildOnPreview: late(BOOLEAN),
  additionalImages: {
    type: "map",
    of: object<AdditionalImageArgs>(
      "AdditionalImageArgs",
      {
        target: {
          type: "oneOf",
          options: [STRING, { type: "map", of: STRING }],
          expected: "a stage name, or a stage per environment",
        },
        // Kept in the image's history and the state, as the main image's are.
        buildArgs: credentialFree({ type: "map", of: late(STRING) }, BUILD_ARG_FIX),
      },
      { required: ["target"], expected: '{ target: "<stage>" } (or a stage per environment)' },
    ),
  },
});

/** The fields of `MultiStageImageArgs` (the spec above is an object's). */
export const COMPONENT_FIELDS = COMPONENT_SPEC.fields;

/**
 * The one type walk of the args: `args` against `COMPONENT_SPEC` (the plan args' entries and the
 * component's own): unknown fields at every level, required fields, allowed values, forms and
 * types, and an Output where a value must be known now. Not `environments`: `validEnvironments`
 * walks them with stack config's. A path a check before it reported is not reported again; late
 * values are checked once they resolve.
 * @returns true when it found no problem
 */
export function validateFields(args: object, diagnostics: Diagnostic[]): boolean {
  const { environments, ...rest } = args as Record<string, unknown>;
  void environments;
  return checkField(rest, COMPONENT_SPEC, "", diagnostics, {
    code: "invalid-argument",
    see: "MultiStageImageArgs",
  });
}
