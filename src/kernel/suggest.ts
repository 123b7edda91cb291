/**
 * Closest-name suggestions for error and warning messages ("did you mean").
 *
 * @module
 */

/** `one of "A", "B"` ordered by closeness to `name`, at most five. */
export function suggest(name: string, candidates: readonly string[]): string {
  const ranked = [...new Set(candidates)]
    .map((c) => ({ c, d: distance(name.toLowerCase(), c.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 5)
    .map((x) => JSON.stringify(x.c));
  return ranked.length === 1 ? ranked[0] : `one of ${ranked.join(", ")}`;
}

/**
 * The candidate `name` is most likely a typo of: within a third of its length in edits (at least
 * one), ignoring case; undefined when none is that close.
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (best === undefined || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(1, Math.floor(name.length / 3)) ? best.c : undefined;
}

/** Edits from `a` to `b`: insert, delete, replace, or swap two neighbours (optimal string alignment). */
function distance(a: string, b: string): number {
  let before: number[] = [];
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        next[j] = Math.min(next[j], before[j - 2] + 1);
      }
    }
    before = row;
    row = next;
  }
  return row[b.length];
}
