/**
 * The package's one error model. Every problem found in a Dockerfile or in the inputs
 * given for it is a `Diagnostic`: what is wrong, where (file, line, stage, arg, or the
 * input property path), and what to do about it. It lives in the lowest layer so every
 * layer above reports problems the same way; validators add diagnostics, callers decide
 * when to raise them (all at once).
 */

import { redactCredentials } from "./credentials";

export type Severity = "error" | "warning";

/**
 * Every code a diagnostic may carry, as the keys of this interface. Each layer owns the
 * codes of the problems it finds: this file declares the Dockerfile's, and the layers above
 * add theirs by augmenting it (their `codes.ts`), so a layer's list lives with its checks.
 */
export interface DiagnosticCodes extends Record<(typeof DOCKERFILE_CODES)[number], true> {}

/** The codes of the Dockerfile's own problems, and of its targets and build args. */
export const DOCKERFILE_CODES = [
  "empty-dockerfile",
  "no-from",
  "parse-error",
  "duplicate-stage",
  "unknown-stage",
  "forward-reference",
  "self-reference",
  "cycle",
  "unknown-instruction",
  "invalid-instruction",
  "missing-image",
  "invalid-stage-name",
  "stage-name-case",
  "variable-in-from-flag",
  "invalid-stage-platform",
  "unterminated-heredoc",
  "unknown-target",
  "missing-arg",
  "unknown-arg",
] as const;

export type DiagnosticCode = keyof DiagnosticCodes;

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  hint?: string;
  file?: string;
  /** 1-based line. */
  line?: number;
  stage?: string;
  arg?: string;
  /**
   * Path of the input property at fault, as the user wrote it:
   * `environments.production.target`, `repository.replicateTo[0].region`, `tags[2]`.
   */
  property?: string;
}

/**
 * One message style for every problem: `property: file:line: stage "x": message hint`,
 * each part only when known. `withProperty: false` leaves the property out (for
 * reporters that show it on their own).
 */
export function formatDiagnostic(d: Diagnostic, options: { withProperty?: boolean } = {}): string {
  const property = d.property !== undefined && options.withProperty !== false ? `${excerpt(d.property, 200)}: ` : "";
  const where = d.file ? `${excerpt(d.file, 300)}${d.line !== undefined ? `:${d.line}` : ""}: ` : "";
  const stage = d.stage !== undefined ? `stage "${excerpt(d.stage, 100)}": ` : "";
  const hint = d.hint ? ` ${excerpt(d.hint, MAX_QUOTED)}` : "";
  // The whole line once more: a message may interpolate a value without `excerpt`.
  return redactCredentials(`${property}${where}${stage}${excerpt(d.message, MAX_QUOTED)}${hint}`);
}

/** The most of one message (or hint) an error shows: a value it quotes is never repeated whole past this. */
export const MAX_QUOTED = 800;

/**
 * The one rule for how much of a value an error may quote: at most `max` characters, and how
 * many were left out (a 1 MB context path gives a line, not a megabyte).
 */
export function excerpt(text: string, max = 120): string {
  // Never a credential, whatever the value is (a URL with a token, a key pasted in the wrong field).
  const shown = redactCredentials(text);
  return shown.length > max ? `${shown.slice(0, max)}… (${shown.length - max} more characters)` : shown;
}

/** Thrown by the pure layers when inputs cannot be built; carries every diagnostic found. */
export class MultiStageError extends Error {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[], context?: string) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    const lines = errors.map((d) => `  - ${formatDiagnostic(d)}`);
    const head = context ? `${context}: ` : "";
    super(
      errors.length === 1
        ? `${head}${formatDiagnostic(errors[0])}`
        : `${head}${errors.length} problems:\n${lines.join("\n")}`,
    );
    this.name = "MultiStageError";
    this.diagnostics = diagnostics;
  }
}

/** True when any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Throw a `MultiStageError` when any diagnostic is an error; return the warnings otherwise. */
export function throwOnErrors(diagnostics: readonly Diagnostic[], context?: string): Diagnostic[] {
  if (hasErrors(diagnostics)) throw new MultiStageError(diagnostics, context);
  return diagnostics.filter((d) => d.severity === "warning");
}
