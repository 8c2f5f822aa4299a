/**
 * The Dockerfile model (no Pulumi, no file system): parse, stage graph, build-arg
 * scoping, target resolution, and the diagnostics every layer reports with.
 * Published as `pulumi-multistage-image/dockerfile`.
 */
export {
  AUTOMATIC_PLATFORM_ARGS,
  type ArgResolution,
  type ArgUsage,
  PREDEFINED_BUILD_ARGS,
  globalScope,
  resolveArgs,
} from "./args";
export {
  type Diagnostic,
  DOCKERFILE_CODES,
  type DiagnosticCode,
  type DiagnosticCodes,
  MultiStageError,
  type Severity,
  formatDiagnostic,
  excerpt,
  MAX_QUOTED,
  hasErrors,
  throwOnErrors,
} from "./diagnostics";
export { REDACTED_CREDENTIAL, findCredential, redactCredentials } from "./credentials";
export { ExpansionError, type Scope, expandOrKeep, expandWord } from "./expand";
export {
  type StageGraphNode,
  cycleDiagnostics,
  dependentStages,
  directStageDependencies,
  findCycles,
  stageClosure,
  stageGraph,
  stageGraphDot,
} from "./graph";
export {
  type ArgDeclaration,
  type ContextRead,
  type FromRead,
  type Dependency,
  type DependencyVia,
  type DockerfileModel,
  type ImageDependency,
  type OpaqueRead,
  type SecretMount,
  type SshMount,
  type EntitlementUse,
  type Stage,
  type StageDependency,
  type VariableUse,
  finalStage,
  stageLabel,
} from "./model";
export { type ParseResult, parseDockerfile } from "./parse";
export {
  type Directive,
  type Heredoc,
  type SyntaxProblem,
  type SyntaxNode,
  type SyntaxTree,
  dumpInstructions,
  parseSyntax,
  parseWords,
} from "./syntax";
export {
  type ResolveOptions,
  type TargetResolution,
  type UnknownTarget,
  findStage,
  resolveTarget,
  stageNames,
} from "./resolve";
export { closestNames, didYouMean, editDistance } from "./suggest";
