/**
 * Run a `BuildPlan` with the Docker CLI (BuildKit), Podman or Buildah; sign, verify and attest
 * with cosign and syft; read this machine's registry logins: the builder host the publish
 * pipeline is given. Published as `pulumi-multistage-image/executor`. The registry's API client
 * is the registry layer's (`src/registry`); the argv builders, process runner, builder-node and
 * progress parsers are internals their own tests import by file.
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
} from "./docker-cli";
export { type BakeSource, type BakeTarget, bakeTarget } from "./argv";
export { OciEngineExecutor } from "./oci-engine";
export { DockerCommandError, type ExecutorStep } from "./process";
export { BuilderEndpointError } from "./endpoint";
export { type FailedStep, failedStep, parseStepLine } from "./progress";
export { type ResolvedImages, resolveImageDigests } from "./image-digests";
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
