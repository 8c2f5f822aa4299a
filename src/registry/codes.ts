/**
 * The codes of the problems in the registry args.
 * Added to `DiagnosticCodes`, the one list of codes, by augmentation.
 */
export const REGISTRY_CODES = ["invalid-registry"] as const;

declare module "../dockerfile/diagnostics" {
  interface DiagnosticCodes extends Record<(typeof REGISTRY_CODES)[number], true> {}
}
