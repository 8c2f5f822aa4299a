/** Any OCI registry: a repository URL and credentials, no resources. */
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
