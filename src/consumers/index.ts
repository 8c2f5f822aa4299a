/** Hand the digest-pinned image to its consumers: ECS task definitions and Kubernetes workloads. */
export { type ContainerPort, type PinnedImage } from "./container";
export { type EcsContainerDefinition, type EcsContainerOptions, toEcsContainerDefinition } from "./ecs";
export { type KubernetesContainer, type KubernetesContainerOptions, toKubernetesContainer } from "./kubernetes";
export { CONSUMERS_CODES } from "./codes";
