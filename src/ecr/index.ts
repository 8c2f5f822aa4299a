/** Amazon ECR: the repository, its policies, and registry credentials. */
export { getEcrCredentials } from "./credentials";
export {
  DEFAULT_LIFECYCLE,
  type LifecyclePolicyArgs,
  PULL_ACTIONS,
  type PullAccessArgs,
  isValidRepositoryName,
  lifecyclePolicyDocument,
  parseRepositoryUrl,
  pullPolicyDocument,
  validateLifecyclePolicy,
  validatePullAccess,
} from "./policies";
export {
  type Repository,
  type RepositoryArgs,
  REPOSITORY_SPEC,
  createRepository,
  repositoryTagMutability,
  tagMutability,
  validateRepositoryArgs,
} from "./repository";
export { ECR_CODES } from "./codes";
