/** The `MultiStageImage` component: wires the layers below, nothing else. */
export { type AdditionalImageArgs, type MultiStageImageArgs, type PlanArgsInputs } from "./args";
export { InvalidInputsError } from "./errors";
export { type AdditionalImageOutput, MultiStageImage } from "./multistage-image";
export { COMPONENT_CODES } from "./codes";
