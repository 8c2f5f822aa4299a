/**
 * pulumi-multistage-image: one multi-stage Dockerfile, the right image per environment,
 * pushed and pinned by digest. Subpaths: `./dockerfile` (the Dockerfile model, no Pulumi)
 * and `./executor` (run a plan with the Docker CLI).
 */
export {
  type AdditionalImageArgs,
  type AdditionalImageOutput,
  InvalidInputsError,
  MultiStageImage,
  type MultiStageImageArgs,
} from "./component";
export {
  type ContainerPort,
  type EcsContainerDefinition,
  type EcsContainerOptions,
  type KubernetesContainer,
  type KubernetesContainerOptions,
  type PinnedImage,
  toEcsContainerDefinition,
  toKubernetesContainer,
} from "./consumers";
export { type BackendName } from "./backends";
export { type RegistryArgs } from "./registry";
export { DEFAULT_LIFECYCLE, type LifecyclePolicyArgs, type PullAccessArgs, type RepositoryArgs } from "./ecr";
export {
  type BuildPlan,
  type BuildPlanOptions,
  type Diagnostic,
  type DiagnosticCode,
  type EnvironmentArgs,
  type EnvironmentKind,
  MultiStageError,
  type PlannedStage,
  REDACTED,
  type TagContext,
  type TagStrategy,
  classifyEnvironment,
  formatDiagnostic,
  planBuild,
  planBuildFromFiles,
  readDockerfile,
} from "./plan";
