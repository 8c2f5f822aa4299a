/**
 * The codes of the problems in the component's own args: back ends and secret ids.
 * Added to `DiagnosticCodes`, the one list of codes, by augmentation.
 */
export const COMPONENT_CODES = ["invalid-backend", "invalid-secret"] as const;

declare module "../dockerfile/diagnostics" {
  interface DiagnosticCodes extends Record<(typeof COMPONENT_CODES)[number], true> {}
}
