/**
 * Pulumi program: the node-service example image for this stack's environment, in ECR.
 *   pulumi stack select dev && pulumi up         # builds the dev target
 *   pulumi stack select production && pulumi up  # builds the final stage
 * (In your own project, import from "pulumi-multistage-image".)
 */
import { MultiStageImage } from "../../src";
import { settings } from "./settings";

const image = new MultiStageImage("node-service", settings.args);

export const imageUri = image.imageUri;
export const target = image.target;
export const tags = image.tags;
export const environment = image.environment;
