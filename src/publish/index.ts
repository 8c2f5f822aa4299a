/** The publish pipeline: prepare what a plan needs, then publish it (registry first, gate, build, measure, tag). */
export { type PrepareOptions, type PreparedImage, prepareImage } from "./prepare";
export {
  type Builder,
  type PublishHost,
  type PublishOptions,
  type PublishStep,
  type RegistryClient,
  dockerHost,
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
