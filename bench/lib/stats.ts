/**
 * Small statistics and table helpers for the benchmarks.
 *
 * @module
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The `p`-th percentile (0-100), nearest rank, of values sorted in place. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** (max - min) / median, in percent: how noisy the rounds were. */
export function spreadPercent(values: readonly number[]): number {
  if (values.length < 2) return 0;
  return ((Math.max(...values) - Math.min(...values)) / median(values)) * 100;
}

/** Thousands separators, no decimals. */
export function int(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-";
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** A plain-text table: the first row is the header; numbers-looking cells align right. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, cell.length));
  }
  const numeric = /^[-+x]?[0-9][0-9,.]*( ?[a-zµ%]+)?$/;
  const line = (row: readonly string[]) =>
    row.map((cell, i) => numeric.test(cell) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))
      .join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}
