/** Build back ends: each turns a `BuildPlan` into provider resources behind `ImageBackend`. */
export { type ImageBackend, type PublishArgs, type PublishedImage } from "./backend";
export { type BackendSupport, SUPPORT } from "./support";
export { dockerBackend, dockerBuildInputs } from "./docker";
export { dockerBuildBackend, dockerBuildImageArgs } from "./docker-build";
export { dockerCliBackend } from "./docker-cli";
export { type ImageResourceHost, PACKAGE_IMAGE_TYPE } from "./docker-cli-resource";
export {
  type DockerCliImageInputs,
  type DockerCliImageOutputs,
  provider as dockerCliImageProvider,
} from "./docker-cli-provider";
export { BACKENDS, type BackendName, DEFAULT_BACKEND } from "./select";
