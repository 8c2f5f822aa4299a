/**
 * Secret hygiene (pure): which build args look like secrets, and how values are shown
 * where secrets must not appear (outputs, plans, logs).
 */
import type { Diagnostic } from "../dockerfile";

/** Placeholder shown instead of a secret build arg's value. */
export const REDACTED = "[secret]";

const SECRET_LIKE = /(secret|token|passw(or)?d|passwd|api_?key|private_?key|credential|auth)/i;

/** True for build arg names that look like they hold secrets (`NPM_TOKEN`, `DB_PASSWORD`, …). */
export function isSecretLikeName(name: string): boolean {
  return SECRET_LIKE.test(name);
}

/** A build arg name and the input property it was passed in. */
export interface BuildArgSource {
  readonly name: string;
  readonly property: string;
}

/** Refuse build args named like secrets (their values land in the image history and the state) unless allowed. */
export function validateBuildArgNames(
  sources: readonly BuildArgSource[],
  allowSecretLike: boolean,
  diagnostics: Diagnostic[],
): void {
  if (allowSecretLike) return;
  for (const { name, property } of sources) {
    if (!isSecretLikeName(name)) continue;
    diagnostics.push({
      severity: "error",
      code: "secret-build-arg",
      property,
      arg: name,
      message: `build arg ${name} looks like a secret; build arg values are stored in the image history and in the Pulumi state.`,
      hint: `Pass secrets as BuildKit secrets (RUN --mount=type=secret) instead, or set allowSecretLikeBuildArgs if ${name} is not secret.`,
    });
  }
}

/** `buildArgs` with the values of `secretNames` and of secret-like names replaced by `REDACTED`. */
export function redactBuildArgs(
  buildArgs: Readonly<Record<string, string>>,
  secretNames: ReadonlySet<string> = new Set(),
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(buildArgs).map(([k, v]) => [k, secretNames.has(k) || isSecretLikeName(k) ? REDACTED : v]),
  );
}
