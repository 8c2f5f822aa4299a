/**
 * How the component raises problems: all invalid inputs at once at construction as
 * `pulumi.InputPropertiesError`; anything found only once inputs resolve (inside an
 * `apply`) as `pulumi.ResourceError` on the component.
 */
import * as pulumi from "@pulumi/pulumi";
import { type Diagnostic, formatDiagnostic, hasErrors } from "../plan";

/**
 * Throw one `InputPropertiesError` naming every error among `diagnostics` (warnings are left alone).
 * @internal
 */
export function raiseInputErrors(component: string, diagnostics: readonly Diagnostic[]): void {
  if (!hasErrors(diagnostics)) return;
  const errors = diagnostics.filter((d) => d.severity === "error");
  const lines = errors.map((d) => formatDiagnostic(d));
  throw new pulumi.InputPropertiesError({
    message:
      errors.length === 1
        ? `MultiStageImage "${component}": ${lines[0]}`
        : `MultiStageImage "${component}" has ${errors.length} problems:\n${lines.map((l) => `  - ${l}`).join("\n")}`,
    errors: errors.map((d) => ({
      propertyPath: d.property ?? (d.file ? "dockerfile" : ""),
      reason: formatDiagnostic(d, { withProperty: false }),
    })),
  });
}

/**
 * Run `fn`; any error it throws becomes a `ResourceError` on `resource`, with the same message.
 * @internal
 */
export function asResourceError<T>(resource: pulumi.Resource, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (pulumi.ResourceError.isInstance(err)) throw err;
    throw new pulumi.ResourceError(err instanceof Error ? err.message : String(err), resource);
  }
}
