/**
 * The digest-pinned image as an ECS container definition. Always `imageUri`
 * (`<repo>@sha256:…`), never a tag, so a task runs exactly what was built.
 */
import * as pulumi from "@pulumi/pulumi";
import { BOOLEAN, type FieldSpec, NUMBER, STRING, STRINGS, STRING_MAP, late, object } from "../plan";
import { CONTAINER_PORT, type ContainerPort, type PinnedImage, pinnedImageUri, validateContainer } from "./container";

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

/** Options of `toEcsContainerDefinition`: the container around the image. */
export interface EcsContainerOptions {
  /** Container name. */
  name: string;
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  command?: string[];
  entryPoint?: string[];
  /** Plain environment variables. */
  environment?: Record<string, pulumi.Input<string>>;
  /**
   * Secrets by name → Secrets Manager / SSM ARN (ECS injects them; they never appear in the definition).
   * @example { DB_PASSWORD: dbSecret.arn }
   */
  secrets?: Record<string, pulumi.Input<string>>;
  ports?: readonly ContainerPort[];
  logConfiguration?: EcsContainerDefinition["logConfiguration"];
  healthCheck?: EcsContainerDefinition["healthCheck"];
  readonlyRootFilesystem?: boolean;
  user?: string;
  /** Default `true`. */
  essential?: boolean;
}

/** Every field of `EcsContainerOptions`, declared once (see `plan/fields.ts`). */
const ECS_OPTIONS: FieldSpec = object<EcsContainerOptions>("EcsContainerOptions", {
  name: STRING,
  cpu: NUMBER,
  memory: NUMBER,
  memoryReservation: NUMBER,
  command: STRINGS,
  entryPoint: STRINGS,
  environment: { type: "map", of: late(STRING) },
  secrets: { type: "map", of: late(STRING) },
  ports: { type: "list", of: CONTAINER_PORT },
  logConfiguration: object<NonNullable<EcsContainerOptions["logConfiguration"]>>("EcsLogConfiguration", {
    logDriver: STRING,
    options: STRING_MAP,
  }),
  healthCheck: object<NonNullable<EcsContainerOptions["healthCheck"]>>("EcsHealthCheck", {
    command: STRINGS,
    interval: NUMBER,
    timeout: NUMBER,
    retries: NUMBER,
    startPeriod: NUMBER,
  }),
  readonlyRootFilesystem: BOOLEAN,
  user: STRING,
  essential: BOOLEAN,
});

/**
 * An ECS container definition running the pinned image. Use it in
 * `aws.ecs.TaskDefinition({ containerDefinitions: pulumi.jsonStringify([def]) })`,
 * or as an `awsx.ecs` service's `container`.
 */
export function toEcsContainerDefinition(
  image: PinnedImage,
  options: EcsContainerOptions,
): pulumi.Output<EcsContainerDefinition> {
  validateContainer(options, ECS_OPTIONS, /^[A-Za-z0-9_-]{1,255}$/, "up to 255 letters, digits, _ and -");
  const values = pulumi.output({ environment: options.environment ?? {}, secrets: options.secrets ?? {} });
  return pulumi.all([pinnedImageUri(image), values]).apply(([uri, { environment, secrets }]) => {
    const definition: EcsContainerDefinition = {
      name: options.name,
      image: uri,
      essential: options.essential ?? true,
    };
    if (options.cpu !== undefined) definition.cpu = options.cpu;
    if (options.memory !== undefined) definition.memory = options.memory;
    if (options.memoryReservation !== undefined) definition.memoryReservation = options.memoryReservation;
    if (options.command) definition.command = options.command;
    if (options.entryPoint) definition.entryPoint = options.entryPoint;
    if (options.environment) {
      definition.environment = Object.entries(environment).map(([name, value]) => ({ name, value }));
    }
    if (options.secrets) {
      definition.secrets = Object.entries(secrets).map(([name, valueFrom]) => ({ name, valueFrom }));
    }
    if (options.ports) {
      definition.portMappings = options.ports.map((p) => ({
        containerPort: p.containerPort,
        hostPort: p.containerPort,
        protocol: p.protocol ?? "tcp",
        ...(p.name ? { name: p.name } : {}),
      }));
    }
    if (options.logConfiguration) definition.logConfiguration = options.logConfiguration;
    if (options.healthCheck) definition.healthCheck = options.healthCheck;
    if (options.readonlyRootFilesystem !== undefined)
      definition.readonlyRootFilesystem = options.readonlyRootFilesystem;
    if (options.user !== undefined) definition.user = options.user;
    return definition;
  });
}
