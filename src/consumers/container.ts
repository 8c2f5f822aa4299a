/**
 * What the ECS and Kubernetes helpers share: the pinned image they take, the port
 * shape, and the checks on both (which throw one `MultiStageError` with every problem).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  type Diagnostic,
  type FieldSpec,
  MultiStageError,
  NUMBER,
  STRING,
  allowedValues,
  checkField,
  describeValue,
  excerpt,
  isDigestPinned,
  object,
} from "../plan";

/** Anything with a digest-pinned `imageUri`: a `MultiStageImage`, or a plain object. */
export interface PinnedImage {
  readonly imageUri: pulumi.Input<string>;
}

/** `ContainerPort`, declared once for both helpers' tables. */
export const CONTAINER_PORT = object<ContainerPort>("ContainerPort", {
  containerPort: NUMBER,
  protocol: allowedValues<NonNullable<ContainerPort["protocol"]>>({ tcp: true, udp: true }),
  name: STRING,
});

/** A port mapping, shared shape for both helpers. */
export interface ContainerPort {
  readonly containerPort: number;
  /** @default "tcp" */
  readonly protocol?: "tcp" | "udp";
  /** Port name (Kubernetes) / mapping name (ECS Service Connect). */
  readonly name?: string;
}

/**
 * Check a container's name and ports; throws a `MultiStageError` naming each bad property.
 * @internal
 */
export function validateContainer(
  options: { readonly name: string; readonly ports?: readonly ContainerPort[] },
  spec: FieldSpec,
  namePattern: RegExp,
  nameRule: string,
): void {
  const diagnostics: Diagnostic[] = [];
  if (!options || typeof options !== "object") {
    throw new MultiStageError([
      {
        severity: "error",
        code: "invalid-container",
        property: "options",
        message: "must be an object with at least a name.",
        hint: 'Pass the container\'s options, e.g. { name: "web" }.',
      },
    ]);
  }
  // Fields, types and allowed values as the options' table declares them (a typo is refused by name).
  checkField(options, spec, "", diagnostics, {
    code: "invalid-container",
    see: spec.type === "object" ? spec.name : "the options",
  });
  if (diagnostics.length) throw new MultiStageError(diagnostics);
  if (typeof options.name !== "string" || !namePattern.test(options.name)) {
    diagnostics.push({
      severity: "error",
      code: "invalid-container",
      property: "name",
      message:
        typeof options.name === "string"
          ? `"${excerpt(options.name, 80)}" is not a valid container name.`
          : "is missing: the container needs a name.",
      hint: `Use ${nameRule}.`,
    });
  }
  (Array.isArray(options.ports) ? options.ports : []).forEach((p, i) => {
    if (!p || !Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
      diagnostics.push({
        severity: "error",
        code: "invalid-container",
        property: `ports[${i}].containerPort`,
        message: `${describeValue(p?.containerPort)} is not a port number.`,
        hint: "Use a whole number from 1 to 65535.",
      });
    }
  });
  if (diagnostics.length) throw new MultiStageError(diagnostics);
}

/**
 * The image reference, once checked to be pinned by digest.
 * @internal
 */
export function pinnedImageUri(image: PinnedImage): pulumi.Output<string> {
  const given = image && typeof image === "object" ? image.imageUri : undefined;
  if (given === undefined || given === null)
    throw new MultiStageError([
      {
        severity: "error",
        code: "unpinned-image",
        property: "imageUri",
        message: "is missing.",
        hint: "Pass a MultiStageImage, or an object whose imageUri is <repo>@sha256:….",
      },
    ]);
  return pulumi.output(given).apply((uri) => {
    if (typeof uri !== "string")
      throw new MultiStageError([
        {
          severity: "error",
          code: "unpinned-image",
          property: "imageUri",
          message: `must be a string (<repo>@sha256:…), got ${Array.isArray(uri) ? "a list" : typeof uri}.`,
          hint: "Pass a MultiStageImage's imageUri.",
        },
      ]);
    if (!isDigestPinned(uri)) {
      throw new MultiStageError([
        {
          severity: "error",
          code: "unpinned-image",
          property: "imageUri",
          message: `image "${excerpt(uri, 200)}" is not pinned by digest.`,
          hint: "Pass a MultiStageImage (its imageUri is <repo>@sha256:…) with push enabled.",
        },
      ]);
    }
    return uri;
  });
}
