/**
 * Diagnostics: every problem found in a Dockerfile or in the inputs given for it,
 * with the file, line, stage or arg it concerns and what to do about it.
 */

export type Severity = "error" | "warning";

export type DiagnosticCode =
  | "empty-dockerfile"
  | "no-from"
  | "parse-error"
  | "duplicate-stage"
  | "unknown-stage"
  | "forward-reference"
  | "self-reference"
  | "cycle"
  | "unknown-target"
  | "missing-arg"
  | "unknown-arg"
  | "secret-build-arg"
  | "unpinned-base"
  | "non-final-target";

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
}

/** `file:line: stage "x": message. hint` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line !== undefined ? `:${d.line}` : ""}: ` : "";
  const stage = d.stage !== undefined ? `stage "${d.stage}": ` : "";
  const hint = d.hint ? ` ${d.hint}` : "";
  return `${where}${stage}${d.message}${hint}`;
}

/** Thrown when a Dockerfile or its build inputs cannot be built; carries every error found. */
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

/** Throw a `MultiStageError` when any diagnostic is an error; return the warnings otherwise. */
export function throwOnErrors(diagnostics: readonly Diagnostic[], context?: string): Diagnostic[] {
  if (diagnostics.some((d) => d.severity === "error")) {
    throw new MultiStageError(diagnostics, context);
  }
  return diagnostics.filter((d) => d.severity === "warning");
}
