/**
 * Helpers that hand the digest-pinned image to its consumers: an ECS container
 * definition and a Kubernetes container. Both always use `imageUri`
 * (`<repo>@sha256:…`), never a tag, so a deployment runs exactly what was built.
 */
import * as pulumi from "@pulumi/pulumi";

/** Anything with a digest-pinned `imageUri`: a `MultiStageImage`, or a plain object. */
export interface PinnedImage {
  imageUri: pulumi.Input<string>;
}

/** A port mapping, shared shape for both helpers. */
export interface ContainerPort {
  containerPort: number;
  /** `tcp` (default) or `udp`. */
  protocol?: "tcp" | "udp";
  /** Port name (Kubernetes) / mapping name (ECS Service Connect). */
  name?: string;
}

/** ECS container definition fields (the subset of the ECS API's `ContainerDefinition` set here). */
export interface EcsContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  command?: string[];
  entryPoint?: string[];
  environment?: Array<{ name: string; value: string }>;
  secrets?: Array<{ name: string; valueFrom: string }>;
  portMappings?: Array<{ containerPort: number; hostPort?: number; protocol: "tcp" | "udp"; name?: string }>;
  logConfiguration?: { logDriver: string; options?: Record<string, string> };
  healthCheck?: { command: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number };
  readonlyRootFilesystem?: boolean;
  user?: string;
}

/** Overrides for `toEcsContainerDefinition`. */
export interface EcsContainerOverrides {
  /** Container name. */
  name: string;
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  command?: string[];
  entryPoint?: string[];
  /** Plain environment variables. */
  environment?: Record<string, string>;
  /** Secrets by name → Secrets Manager / SSM ARN (ECS injects them; they never appear in the definition). */
  secrets?: Record<string, string>;
  ports?: ContainerPort[];
  logConfiguration?: EcsContainerDefinition["logConfiguration"];
  healthCheck?: EcsContainerDefinition["healthCheck"];
  readonlyRootFilesystem?: boolean;
  user?: string;
  /** Default `true`. */
  essential?: boolean;
}

/**
 * An ECS container definition running the pinned image. Use it in
 * `aws.ecs.TaskDefinition({ containerDefinitions: pulumi.jsonStringify([def]) })`,
 * or as an `awsx.ecs` service's `container`.
 */
export function toEcsContainerDefinition(
  image: PinnedImage,
  overrides: EcsContainerOverrides,
): pulumi.Output<EcsContainerDefinition> {
  checkName(overrides.name, /^[A-Za-z0-9_-]{1,255}$/, "ECS container name (letters, digits, _ and -, up to 255)");
  checkPorts(overrides.ports);
  return pulumi.output(image.imageUri).apply((uri) => {
    requirePinned(uri);
    const definition: EcsContainerDefinition = {
      name: overrides.name,
      image: uri,
      essential: overrides.essential ?? true,
    };
    if (overrides.cpu !== undefined) definition.cpu = overrides.cpu;
    if (overrides.memory !== undefined) definition.memory = overrides.memory;
    if (overrides.memoryReservation !== undefined) definition.memoryReservation = overrides.memoryReservation;
    if (overrides.command) definition.command = overrides.command;
    if (overrides.entryPoint) definition.entryPoint = overrides.entryPoint;
    if (overrides.environment) {
      definition.environment = Object.entries(overrides.environment).map(([name, value]) => ({ name, value }));
    }
    if (overrides.secrets) {
      definition.secrets = Object.entries(overrides.secrets).map(([name, valueFrom]) => ({ name, valueFrom }));
    }
    if (overrides.ports) {
      definition.portMappings = overrides.ports.map((p) => ({
        containerPort: p.containerPort,
        hostPort: p.containerPort,
        protocol: p.protocol ?? "tcp",
        ...(p.name ? { name: p.name } : {}),
      }));
    }
    if (overrides.logConfiguration) definition.logConfiguration = overrides.logConfiguration;
    if (overrides.healthCheck) definition.healthCheck = overrides.healthCheck;
    if (overrides.readonlyRootFilesystem !== undefined)
      definition.readonlyRootFilesystem = overrides.readonlyRootFilesystem;
    if (overrides.user !== undefined) definition.user = overrides.user;
    return definition;
  });
}

/** Kubernetes container fields (the subset of `core/v1.Container` set here). */
export interface KubernetesContainer {
  name: string;
  image: string;
  imagePullPolicy: "IfNotPresent" | "Always" | "Never";
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>;
  ports?: Array<{ containerPort: number; protocol: "TCP" | "UDP"; name?: string }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  securityContext?: Record<string, unknown>;
}

/** Overrides for `toKubernetesContainer`. */
export interface KubernetesContainerOverrides {
  /** Container name (DNS label). */
  name: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  /** Env vars from Kubernetes Secrets: name → `{ secret, key }`. */
  secretEnv?: Record<string, { secret: string; key: string }>;
  ports?: ContainerPort[];
  resources?: KubernetesContainer["resources"];
  readinessProbe?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  securityContext?: Record<string, unknown>;
}

/**
 * A Kubernetes container running the pinned image; put it in a Deployment's
 * `spec.template.spec.containers` (`@pulumi/kubernetes`). A digest never moves,
 * so `imagePullPolicy` is `IfNotPresent`.
 */
export function toKubernetesContainer(
  image: PinnedImage,
  overrides: KubernetesContainerOverrides,
): pulumi.Output<KubernetesContainer> {
  checkName(
    overrides.name,
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "Kubernetes container name (a DNS label: lowercase letters, digits and -)",
  );
  checkPorts(overrides.ports);
  return pulumi.output(image.imageUri).apply((uri) => {
    requirePinned(uri);
    const container: KubernetesContainer = { name: overrides.name, image: uri, imagePullPolicy: "IfNotPresent" };
    if (overrides.command) container.command = overrides.command;
    if (overrides.args) container.args = overrides.args;
    const env = [
      ...Object.entries(overrides.env ?? {}).map(([name, value]) => ({ name, value })),
      ...Object.entries(overrides.secretEnv ?? {}).map(([name, ref]) => ({
        name,
        valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } },
      })),
    ];
    if (env.length) container.env = env;
    if (overrides.ports) {
      container.ports = overrides.ports.map((p) => ({
        containerPort: p.containerPort,
        protocol: (p.protocol ?? "tcp").toUpperCase() as "TCP" | "UDP",
        ...(p.name ? { name: p.name } : {}),
      }));
    }
    if (overrides.resources) container.resources = overrides.resources;
    if (overrides.readinessProbe) container.readinessProbe = overrides.readinessProbe;
    if (overrides.livenessProbe) container.livenessProbe = overrides.livenessProbe;
    if (overrides.securityContext) container.securityContext = overrides.securityContext;
    return container;
  });
}

function checkName(name: string, pattern: RegExp, what: string): void {
  if (!pattern.test(name)) throw new Error(`"${name}" is not a valid ${what}.`);
}

function checkPorts(ports: ContainerPort[] | undefined): void {
  for (const p of ports ?? []) {
    if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
      throw new Error(`containerPort ${p.containerPort} is not a port number (1-65535).`);
    }
  }
}

function requirePinned(uri: string): void {
  if (!/@sha256:[0-9a-f]{64}$/.test(uri)) {
    throw new Error(
      `image "${uri}" is not pinned by digest; pass a MultiStageImage (its imageUri is <repo>@sha256:…) with push enabled.`,
    );
  }
}
