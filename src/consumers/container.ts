/**
 * What the ECS and Kubernetes helpers share: the pinned image they take, the port
 * shape, and the checks on both (which throw one `MultiStageError` with every problem).
 */
import * as pulumi from "@pulumi/pulumi";
import { type Diagnostic, MultiStageError, isDigestPinned } from "../plan";

/** Anything with a digest-pinned `imageUri`: a `MultiStageImage`, or a plain object. */
export interface PinnedImage {
  readonly imageUri: pulumi.Input<string>;
}

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
  namePattern: RegExp,
  nameRule: string,
): void {
  const diagnostics: Diagnostic[] = [];
  if (!namePattern.test(options.name)) {
    diagnostics.push({
      severity: "error",
      code: "invalid-container",
      property: "name",
      message: `"${options.name}" is not a valid container name.`,
      hint: `Use ${nameRule}.`,
    });
  }
  (options.ports ?? []).forEach((p, i) => {
    if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
      diagnostics.push({
        severity: "error",
        code: "invalid-container",
        property: `ports[${i}].containerPort`,
        message: `${p.containerPort} is not a port number.`,
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
  return pulumi.output(image.imageUri).apply((uri) => {
    if (!isDigestPinned(uri)) {
      throw new MultiStageError([
        {
          severity: "error",
          code: "unpinned-image",
          property: "imageUri",
          message: `image "${uri}" is not pinned by digest.`,
          hint: "Pass a MultiStageImage (its imageUri is <repo>@sha256:…) with push enabled.",
        },
      ]);
    }
    return uri;
  });
}
