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
  secrets: { type: "map", of: late(STRING), secret: true },
  repository: REPOSITORY_SPEC,
  registry: REGISTRY_SPEC,
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
        target: { type: "oneOf", options: [STRING, { type: "map", of: STRING }] },
        // Kept in the image's history and the state, as the main image's are.
        buildArgs: credentialFree({ type: "map", of: late(STRING) }, BUILD_ARG_FIX),
      },
      { required: ["target"] },
    ),
  },
});

/** The fields of `MultiStageImageArgs` (the spec above is an object's). */
export const COMPONENT_FIELDS = COMPONENT_SPEC.fields;

/**
 * Check `args` against `COMPONENT_SPEC`: unknown fields at every level, allowed values and types
 * not already reported by a more specific check in `diagnostics`. Late values are checked once they resolve.
 */
export function validateFields(args: object, diagnostics: Diagnostic[]): void {
  checkField(args, COMPONENT_SPEC, "", diagnostics, { code: "invalid-argument", see: "MultiStageImageArgs" });
}
