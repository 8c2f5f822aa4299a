/** Closest-name suggestions for "did you mean" hints. */

/** Levenshtein distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[t.length];
}

/**
 * Candidates close to `name`, best first: those within a third of the longer name's
 * length (at least 2 edits), plus candidates that contain it or that it contains.
 */
export function closestNames(name: string, candidates: readonly string[], max = 3): string[] {
  const lower = name.toLowerCase();
  return candidates
    .map((candidate) => {
      const c = candidate.toLowerCase();
      const distance = editDistance(lower, c);
      const limit = Math.max(2, Math.floor(Math.max(lower.length, c.length) / 3));
      const contains = lower.length >= 3 && (c.includes(lower) || lower.includes(c));
      return { candidate, distance, close: distance <= limit || contains };
    })
    .filter((x) => x.close)
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, max)
    .map((x) => x.candidate);
}

/** ` Did you mean "a" or "b"?` or an empty string. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const close = closestNames(name, candidates);
  if (close.length === 0) return "";
  const quoted = close.map((c) => `"${c}"`);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
  return ` Did you mean ${list}?`;
}
