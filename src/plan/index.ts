/**
 * Pure policy: environments, tags, image references, secrets, and the `BuildPlan`
 * (with the stage graph it selects). Creates no resource and knows no back end.
 */
// The error model, for the layers above (they import `plan/`, not `dockerfile/`).
export {
  type Diagnostic,
  type DiagnosticCode,
  MultiStageError,
  type ParseResult,
  excerpt,
  findCredential,
  redactCredentials,
  formatDiagnostic,
  hasErrors,
} from "../dockerfile";
export {
  type AdditionalImageOptions,
  BUILD_INPUTS,
  BUILD_SETTINGS,
  type BuildInput,
  type BuildPlanOptions,
  type BuildSettingName,
  ENVIRONMENT_SPEC,
  mergeEnvironments,
  inputsCarriedBy,
  LATE_PLAN_ARGS,
  PLAN_FIELDS,
  checkGitSha,
  isCommit,
  type LatePlanArg,
  type LatePlanInputs,
  BUILD_ARG_FIX,
  NETWORK_MODES,
  type NetworkMode,
  PLAN_ARG_KEYS,
  type PlanArgs,
  type PlanContext,
  toPlanOptions,
  validEnvironments,
  validatePlanArgs,
  wrongType,
} from "./options";
export {
  type BuildPlan,
  DEFAULT_TEST_STAGES,
  defaultTestStage,
  type PlannedStage,
  planBuild,
  resolveDockerfilePath,
} from "./build-plan";
export {
  type AttestationArgs,
  type AttestationSpec,
  type AttestationStore,
  type BuilderEndpointArgs,
  type BuilderSpec,
  type BuilderTlsArgs,
  CACHE_TAG_FILTER,
  type CacheSpec,
  type RegistryCacheArgs,
  type SshArgs,
  attestationSpec,
  builderSpec,
  cacheTag,
  isBuilderEndpoint,
  registryCacheEnabled,
  validatePlatforms,
  validateSsh,
} from "./builder";
export {
  DEFAULT_DEV_TARGETS,
  type EnvironmentArgs,
  type EnvironmentEntry,
  type EnvironmentKind,
  type ReleaseGateArgs,
  classifyEnvironment,
  environmentKind,
  getEnvironmentArgs,
  parseSize,
} from "./environments";
export {
  type BuildSettings,
  type BuildSettingsArgs,
  RELEASE_LABELS,
  REVISION_LABEL,
  SOURCE_LABEL,
  TARGET_LABEL,
  VERSION_LABEL,
  hashedLabels,
  imageSettings,
} from "./build-settings";
export { type CacheType, cacheImage, isCacheEntry, parseCacheEntry } from "./cache-entries";
export { type NamedContext, buildContextValue } from "./contexts";
export { type OutputsSpec } from "./exports";
export { type StageInputSpec, type TargetClosure, type WholeContextReason, targetClosure } from "./closure";
export { sha256 } from "./digest";
export { type StageInputs, type TargetInputs, closureImages } from "./target-inputs";
export { type InputsRecord, type RebuildCause, type RebuildReason, inputsRecord, rebuildReason } from "./reasons";
export {
  DIGEST,
  DIGEST_PATTERN,
  type ImageReference,
  TAG_PATTERN,
  TAG_RULE,
  digestOf,
  isDigestPinned,
  isPinnedReference,
  isValidTag,
  parseImageReference,
  registryHost,
  pinByDigest,
  repositoryOf,
  isRegistryHost,
  repositoryProblem,
} from "./image-ref";
export {
  type BuildArgSource,
  MIN_SCRUBBED_LENGTH,
  REDACTED,
  isSecretLikeName,
  redactBuildArgs,
  scrubSecrets,
  secretArgValues,
  validateBuildArgNames,
  validateSecretMounts,
  validateSshMounts,
} from "./secrets";
export {
  type ReleaseTagOptions,
  type TagContext,
  type TagSource,
  type TagStrategy,
  INPUTS_HASH_PLACEHOLDER,
  defaultTagStrategy,
  expandTagStrategy,
  releaseTagPatterns,
  releaseTags,
  tagsFor,
  validateTag,
  withInputsHash,
} from "./tags";
export { type ReleaseSpec, type SigningContext, holdsPrivateKey, isPemKey, publicKeyBlock } from "./release";
export { DAEMONLESS_ENGINES, type EngineName } from "./engine";
export { PLAN_CODES } from "./codes";
export {
  BOOLEAN,
  type CheckOptions,
  type FieldSpec,
  type FieldFlags,
  type FieldTable,
  type BuildColumn,
  type CarryingBackend,
  type ObjectSpec,
  childSpecs,
  type Fields,
  NUMBER,
  STRING,
  STRINGS,
  STRING_MAP,
  allowedValues,
  checkField,
  checksCredentials,
  credentialFree,
  NO_CREDENTIALS,
  isEventual,
  describeValue,
  late,
  object,
} from "./fields";
