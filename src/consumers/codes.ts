/**
 * The codes of the problems the ECS and Kubernetes helpers find.
 * Added to `DiagnosticCodes`, the one list of codes, by augmentation.
 */
export const CONSUMERS_CODES = ["invalid-container", "unpinned-image", "lambda-image"] as const;

declare module "../dockerfile/diagnostics" {
  interface DiagnosticCodes extends Record<(typeof CONSUMERS_CODES)[number], true> {}
}
