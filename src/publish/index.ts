/** The publish pipeline: prepare what a plan needs, then publish it (registry first, gate, build, measure, tag). */
export { type PrepareOptions, type PreparedImage, type ResolveImages, prepareImage } from "./prepare";
export {
  type Builder,
  type PublishHost,
  type PublishStep,
  type RegistryClient,
  type PublishRequest,
  type PublishResult,
  type RegistryStep,
  SIGNATURE_ANNOTATIONS,
  type SupplyChainClient,
  inputsTag,
  publishImage,
  registryStep,
} from "./pipeline";
export { type PublishedRecord, registryDrift } from "./drift";
