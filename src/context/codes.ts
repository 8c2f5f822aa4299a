/**
 * The codes of the problems found in the build context and the Dockerfile's file.
 * Added to `DiagnosticCodes`, the one list of codes, by augmentation.
 */
export const CONTEXT_CODES = ["missing-context", "missing-dockerfile", "invalid-dockerfile", "invalid-key"] as const;

declare module "../dockerfile/diagnostics" {
  interface DiagnosticCodes extends Record<(typeof CONTEXT_CODES)[number], true> {}
}
