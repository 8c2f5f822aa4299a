/**
 * The codes of the problems the plan finds: build args and secrets, the production guard, tags, builders, caches, and the plan args' types.
 * Added to `DiagnosticCodes`, the one list of codes, by augmentation.
 */
export const PLAN_CODES = [
  "secret-build-arg",
  "missing-secret",
  "unused-secret",
  "missing-ssh",
  "unused-ssh",
  "missing-entitlement",
  "unpinned-base",
  "non-final-target",
  "invalid-argument",
  "invalid-environment",
  "invalid-tag",
  "invalid-tag-strategy",
  "invalid-additional-image",
  "invalid-builder",
  "invalid-platform",
  "invalid-cache",
  "invalid-ssh",
  "invalid-release",
  "invalid-engine",
] as const;

declare module "../dockerfile/diagnostics" {
  interface DiagnosticCodes extends Record<(typeof PLAN_CODES)[number], true> {}
}
