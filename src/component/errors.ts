/**
 * How the component raises problems: all invalid inputs at once at construction as
 * `pulumi.InputPropertiesError`; anything found only once inputs resolve (inside an
 * `apply`) as `pulumi.ResourceError` on the component.
 */
import * as pulumi from "@pulumi/pulumi";
import { type Diagnostic, formatDiagnostic, hasErrors, scrubSecrets } from "../plan";

/** The component's `InputPropertiesError`; it also carries the diagnostics (codes, lines, hints). */
export class InvalidInputsError extends pulumi.InputPropertiesError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(component: string, errors: readonly Diagnostic[]) {
    const lines = errors.map((d) => formatDiagnostic(d));
    super({
      message:
        errors.length === 1
          ? `MultiStageImage "${component}": ${lines[0]}`
          : `MultiStageImage "${component}" has ${errors.length} problems:\n${lines.map((l) => `  - ${l}`).join("\n")}`,
      errors: errors.map((d) => ({
        // A problem in the Dockerfile's text is the arg's that holds it (readDockerfile names an inline one so).
        propertyPath: d.property ?? (d.file === "dockerfileInline" ? "dockerfileInline" : d.file ? "dockerfile" : ""),
        reason: formatDiagnostic(d, { withProperty: false }),
      })),
    });
    this.name = "InputPropertiesError";
    this.diagnostics = errors;
  }
}

/**
 * Throw one `InvalidInputsError` naming every error among `diagnostics` (warnings are left alone).
 * @internal
 */
export function raiseInputErrors(
  component: string,
  diagnostics: readonly Diagnostic[],
  secrets: readonly string[] = [],
): void {
  if (hasErrors(diagnostics))
    throw new InvalidInputsError(
      component,
      scrubSecrets(
        diagnostics.filter((d) => d.severity === "error"),
        secrets,
      ),
    );
}

/**
 * Run `fn`; any error it throws becomes a `ResourceError` on `resource`, with the same message
 * (`secrets` replaced by `[secret]`).
 * @internal
 */
export function asResourceError<T>(resource: pulumi.Resource, fn: () => T, secrets: readonly string[] = []): T {
  try {
    return fn();
  } catch (err) {
    if (pulumi.ResourceError.isInstance(err)) throw err;
    // A message may quote a secret value (an image name a secret arg made): never in plain text.
    throw new pulumi.ResourceError(scrubSecrets(err instanceof Error ? err.message : String(err), secrets), resource);
  }
}
