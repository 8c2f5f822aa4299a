/**
 * Pulumi program: the jvm-service example image for this stack's environment, in ECR.
 *   pulumi stack select dev && pulumi up         # builds BUILD_IMAGE: JDK, Maven, sources, jar
 *   pulumi stack select production && pulumi up  # runs the tests, then builds the JRE stage
 * (In your own project, import from "pulumi-multistage-image".)
 */
import { MultiStageImage } from "../../src";
import { settings } from "./settings";

const image = new MultiStageImage("jvm-service", settings.args);

export const imageUri = image.imageUri;
export const target = image.target;
export const tags = image.tags;
export const environment = image.environment;
