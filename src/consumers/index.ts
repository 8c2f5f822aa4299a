/** Hand the digest-pinned image to its consumers: ECS task definitions, Kubernetes workloads, Lambda functions. */
export { type ContainerPort, type PinnedImage } from "./container";
export { type EcsContainerDefinition, type EcsContainerOptions, toEcsContainerDefinition } from "./ecs";
export { type KubernetesContainer, type KubernetesContainerOptions, toKubernetesContainer } from "./kubernetes";
export {
  type LambdaArchitecture,
  type LambdaImage,
  type LambdaImageSource,
  type LambdaPlanArgs,
  isLambdaArgs,
  lambdaImageArgs,
  lambdaProblems,
  toLambdaImage,
} from "./lambda";
export { CONSUMERS_CODES } from "./codes";
