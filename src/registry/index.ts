/** Any OCI registry: a repository URL and credentials, no resources; the OCI distribution API's client (retries, typed errors). */
export {
  REGISTRY_SPEC,
  type RegistryArgs,
  type RegistryTarget,
  getRegistryTarget,
  validateRegistryArgs,
} from "./registry";
export { REGISTRY_CODES } from "./codes";
export { type RegistryAccess, type RegistryCredentials, type RegistryInputs, loginSecretForms } from "./credentials";
export { type AuthEntry, type AuthFile, decodeAuth, entryFor, fromEntry, loginKeys, readAuthFile } from "./auth-files";
export {
  type ImageSize,
  type RegistryManifest,
  DEFAULT_REGISTRY_TIMEOUT_MS,
  REGISTRY_TIMEOUT_RANGE_MS,
  RETRY_POLICY,
  RegistryError,
  type RegistryFailure,
  apiHost,
  findManifest,
  getBlob,
  getManifest,
  imageSize,
  isLoopbackRegistry,
  isValidDigest,
  manifestDigest,
  parseBearerChallenge,
  requestTimeoutMs,
  retryAfterMs,
  scrubRegistryText,
  tagManifest,
  worthRetrying,
} from "./client";
