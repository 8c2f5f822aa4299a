/**
 * The build context and the repository, read from disk: the Dockerfile file (checked, bounded,
 * then parsed), the files a target's closure copies and their hashes, the closure files written
 * for the build, and the commit. `plan/` stays pure; this layer does the reading and writing.
 */
export {
  type DockerfileLocation,
  MAX_DOCKERFILE_BYTES,
  inlineDockerfile,
  planBuildFromFiles,
  readDockerfile,
  readPublicKeys,
} from "./files";
export {
  GIT_SHA_VARIABLES,
  type GitContext,
  checkoutGitContext,
  detectGitSha,
  detectSourceUrl,
  hasUrlCredentials,
  isGitContext,
  parseGitContext,
  sourceDateEpoch,
  sourceUrl,
} from "./git";
export { targetInputs, writeClosureFiles } from "./inputs";
export { type LocalSource, type SourceArgs, localSource } from "./source";
export { CONTEXT_CODES } from "./codes";
