/**
 * Run a `BuildPlan` with the Docker CLI (BuildKit), and read and tag manifests through the
 * registry API: what the publish pipeline runs. Published as `pulumi-multistage-image/executor`;
 * the tests' own helpers (list, run, remove images) live in scripts/lib/engine-executor.ts.
 */
export {
  type BuildOptions,
  type BuildResult,
  type BuilderBuildOptions,
  type BuilderBuildResult,
  type DockerCliOptions,
  DockerExecutor,
  type ImageInspect,
  type PushResult,
  type RegistryCredentials,
  sweepStaleConfigDirs,
} from "./docker-cli";
export {
  type BakeSource,
  type BakeTarget,
  type BuildFlags,
  bakeTarget,
  buildArguments,
  buildxArguments,
  engineBuildArguments,
  remoteBuilder,
} from "./argv";
export { OciEngineExecutor } from "./oci-engine";
export { findBuildx } from "./buildx";
export { DockerCommandError, type ExecutorStep, type RunOptions, onInterrupt, runProcess } from "./process";
export { BuilderEndpointError, probeBuilderEndpoint } from "./endpoint";
export { type BuilderNode, builderNodes, spreadOverNodes } from "./nodes";
export { type BuildStep, type FailedStep, executedSteps, failedStep, parseBuildSteps, parseStepLine } from "./progress";
export { type ImageLocation, type ResolvedImages, locateImage, resolveImageDigests } from "./image-digests";
export {
  type ImageSize,
  type RegistryAccess,
  type RegistryManifest,
  findManifest,
  imageSize,
  getBlob,
  getManifest,
  isLoopbackRegistry,
  isValidDigest,
  DEFAULT_REGISTRY_TIMEOUT_MS,
  REGISTRY_TIMEOUT_RANGE_MS,
  requestTimeoutMs,
  scrubRegistryText,
  manifestDigest,
  parseBearerChallenge,
  RegistryError,
  RETRY_POLICY,
  retryAfterMs,
  tagManifest,
} from "./registry";
export { type MachineLogin, machineLogin } from "./machine-login";
export {
  type AttestationKind,
  type ImageSignature,
  PREDICATE_TYPES,
  type SigningKey,
  SupplyChain,
  type SupplyChainOptions,
  type Verification,
} from "./supply-chain";
