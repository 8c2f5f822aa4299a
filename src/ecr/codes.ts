/**
 * The codes of the problems in the ECR repository args.
 * Added to `DiagnosticCodes`, the one list of codes, by augmentation.
 */
export const ECR_CODES = ["invalid-repository", "invalid-lifecycle-policy", "invalid-pull-access"] as const;

declare module "../dockerfile/diagnostics" {
  interface DiagnosticCodes extends Record<(typeof ECR_CODES)[number], true> {}
}
