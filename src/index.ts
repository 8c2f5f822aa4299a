/**
 * pulumi-multistage-image: one multi-stage Dockerfile, the right image per environment,
 * pushed and pinned by digest. Subpaths: `./dockerfile` (the Dockerfile model, no Pulumi)
 * and `./executor` (run a plan with the Docker CLI). The `multistage` command (`src/cli`)
 * runs the same model from a shell.
 */
export {
  type AdditionalImageArgs,
  type AdditionalImageOutput,
  InvalidInputsError,
  MultiStageImage,
  type MultiStageImageArgs,
  type PlanArgsInputs,
  type SigningArgs,
} from "./component";
export {
  type ContainerPort,
  type EcsContainerDefinition,
  type EcsContainerOptions,
  type KubernetesContainer,
  type KubernetesContainerOptions,
  type LambdaArchitecture,
  type LambdaImage,
  type LambdaImageSource,
  type LambdaPlanArgs,
  type PinnedImage,
  lambdaImageArgs,
  toEcsContainerDefinition,
  toKubernetesContainer,
  toLambdaImage,
} from "./consumers";
export { type BackendName } from "./backends";
export { type RegistryArgs } from "./registry";
export { DEFAULT_LIFECYCLE, type LifecyclePolicyArgs, type PullAccessArgs, type RepositoryArgs } from "./ecr";
export {
  type BuildPlan,
  type AdditionalImageOptions,
  type AttestationArgs,
  type AttestationStore,
  type ReleaseGateArgs,
  type BuilderEndpointArgs,
  type BuildPlanOptions,
  type Diagnostic,
  type DiagnosticCode,
  type EnvironmentArgs,
  type EnvironmentKind,
  MultiStageError,
  type InputsRecord,
  type PlanArgs,
  type PlannedStage,
  REDACTED,
  type RegistryCacheArgs,
  type SshArgs,
  type RebuildCause,
  type RebuildReason,
  type StageInputSpec,
  type StageInputs,
  type TargetClosure,
  type TargetInputs,
  type WholeContextReason,
  type TagContext,
  type TagStrategy,
  classifyEnvironment,
  formatDiagnostic,
  planBuild,
  rebuildReason,
} from "./plan";
export { planBuildFromFiles, readDockerfile, targetInputs } from "./context";
export { type ImageSize } from "./registry";
export {
  LINT_RULES,
  type LintFinding,
  type LintOptions,
  type LintRuleId,
  type LintSeverity,
  lintDockerfile,
} from "./lint";
