/**
 * The digest-pinned image as a Kubernetes container. Always `imageUri`
 * (`<repo>@sha256:…`), never a tag, so a pod runs exactly what was built.
 */
import type * as pulumi from "@pulumi/pulumi";
import { type FieldSpec, STRING, STRINGS, STRING_MAP, object } from "../plan";
import { CONTAINER_PORT, type ContainerPort, type PinnedImage, pinnedImageUri, validateContainer } from "./container";

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

/** Options of `toKubernetesContainer`: the container around the image. */
export interface KubernetesContainerOptions {
  /** Container name (DNS label). */
  name: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  /** Env vars from Kubernetes Secrets: name → `{ secret, key }`. */
  secretEnv?: Record<string, { secret: string; key: string }>;
  ports?: readonly ContainerPort[];
  resources?: KubernetesContainer["resources"];
  readinessProbe?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  securityContext?: Record<string, unknown>;
}

/** Every field of `KubernetesContainerOptions`, declared once (see `plan/fields.ts`). */
const KUBERNETES_OPTIONS: FieldSpec = object<KubernetesContainerOptions>("KubernetesContainerOptions", {
  name: STRING,
  command: STRINGS,
  args: STRINGS,
  env: STRING_MAP,
  secretEnv: {
    type: "map",
    of: object<{ secret: unknown; key: unknown }>("SecretKeyRef", { secret: STRING, key: STRING }),
  },
  ports: { type: "list", of: CONTAINER_PORT },
  resources: object<NonNullable<KubernetesContainer["resources"]>>("KubernetesContainerResources", {
    requests: STRING_MAP,
    limits: STRING_MAP,
  }),
  readinessProbe: { type: "any" },
  livenessProbe: { type: "any" },
  securityContext: { type: "any" },
});

/**
 * A Kubernetes container running the pinned image; put it in a Deployment's
 * `spec.template.spec.containers` (`@pulumi/kubernetes`). A digest never moves,
 * so `imagePullPolicy` is `IfNotPresent`.
 */
export function toKubernetesContainer(
  image: PinnedImage,
  options: KubernetesContainerOptions,
): pulumi.Output<KubernetesContainer> {
  validateContainer(
    options,
    KUBERNETES_OPTIONS,
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "a DNS label: up to 63 lowercase letters, digits and -",
  );
  return pinnedImageUri(image).apply((uri) => {
    const container: KubernetesContainer = { name: options.name, image: uri, imagePullPolicy: "IfNotPresent" };
    if (options.command) container.command = options.command;
    if (options.args) container.args = options.args;
    const env = [
      ...Object.entries(options.env ?? {}).map(([name, value]) => ({ name, value })),
      ...Object.entries(options.secretEnv ?? {}).map(([name, ref]) => ({
        name,
        valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } },
      })),
    ];
    if (env.length) container.env = env;
    if (options.ports) {
      container.ports = options.ports.map((p) => ({
        containerPort: p.containerPort,
        protocol: (p.protocol ?? "tcp").toUpperCase() as "TCP" | "UDP",
        ...(p.name ? { name: p.name } : {}),
      }));
    }
    if (options.resources) container.resources = options.resources;
    if (options.readinessProbe) container.readinessProbe = options.readinessProbe;
    if (options.livenessProbe) container.livenessProbe = options.livenessProbe;
    if (options.securityContext) container.securityContext = options.securityContext;
    return container;
  });
}
