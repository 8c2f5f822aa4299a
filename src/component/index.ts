/** The `MultiStageImage` component: wires the layers below, nothing else. */
export { type AdditionalImageArgs, type MultiStageImageArgs, type PlanArgsInputs, type SigningArgs } from "./args";
export { InvalidInputsError } from "./errors";
export { COMPONENT_FIELDS, COMPONENT_SPEC } from "./fields";
export { type AdditionalImageOutput, MultiStageImage, componentOutputs } from "./multistage-image";
export { COMPONENT_CODES } from "./codes";
