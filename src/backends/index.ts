/** Build back ends: each turns a `BuildPlan` into provider resources behind `ImageBackend`. */
export { type ImageBackend, type PublishArgs, type PublishedImage, type RegistryInput } from "./backend";
export { dockerBackend, dockerBuildInputs } from "./docker";
