/**
 * Pulumi program: the go-service example image for this stack's environment, in ECR.
 *   pulumi stack select dev && pulumi up         # builds the toolchain stage
 *   pulumi stack select production && pulumi up  # tests, then the scratch stage, amd64 + arm64
 * Production builds two platforms into one index, so it needs a BuildKit builder
 * (`docker buildx create --name multistage --driver docker-container`).
 * (In your own project, import from "pulumi-multistage-image".)
 */
import { MultiStageImage } from "../../src";
import { settings } from "./settings";

const image = new MultiStageImage("go-service", {
  ...settings.args,
  builder: "multistage",
  environments: { production: { platforms: ["linux/amd64", "linux/arm64"] } },
});

export const imageUri = image.imageUri;
export const target = image.target;
export const tags = image.tags;
export const environment = image.environment;
