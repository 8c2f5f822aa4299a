/**
 * The conformance cases on which the model knowingly differs from BuildKit, by case id, with
 * the reason; the README's "Differences from BuildKit" lists the same. The suite fails when a
 * case listed here agrees with BuildKit again, so the list stays true.
 */
export const DIFFERENCES: Readonly<Record<string, string>> = {};
