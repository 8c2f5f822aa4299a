/**
 * Pulumi program: the php-laravel example image for this stack's environment, in ECR.
 *   pulumi stack select dev && pulumi up         # builds `dev`: PHP, Composer, all deps, the app
 *   pulumi stack select production && pulumi up  # runs the tests, then builds the PHP-FPM stage
 * (In your own project, import from "pulumi-multistage-image".)
 */
import { MultiStageImage } from "../../src";
import { settings } from "./settings";

const image = new MultiStageImage("php-laravel", settings.args);

export const imageUri = image.imageUri;
export const target = image.target;
export const tags = image.tags;
export const environment = image.environment;
