/**
 * A benchmark's figures as JSON (`--json OUT.json`) and their ratios to an earlier run's
 * (`--compare BASELINE.json`), so that a regression shows in one command. Figures are keyed by
 * stable names (`load.conclave/node/sync.read.c16.rps`); each says which way is better.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { runtimeLabel } from "../../src/runtime/detect.ts";
import { fixed, table } from "./stats.ts";

/** The load average when the bench started (this module is imported at its start). */
const START_LOAD = loadavg();
const rounded = (values: number[]) => values.map((n) => Number(n.toFixed(2)));

export interface Figure {
  value: number;
  unit: string;
  /** Which way is an improvement. */
  better: "higher" | "lower";
}

export type Figures = Record<string, Figure>;

export interface FiguresFile {
  bench: string;
  /** When, where and how the figures were made. */
  date: string;
  runtime: string;
  cpus: string;
  /** At the start and at the end of the run (1, 5 and 15 minutes). */
  loadAverageStart: number[];
  loadAverage: number[];
  args: string[];
  figures: Figures;
}

/** Collects figures, dropping those that are not finite (a part that did not run). */
export class FigureSet {
  readonly figures: Figures = {};

  add(name: string, value: number | undefined, unit: string, better: Figure["better"]): void {
    if (value !== undefined && Number.isFinite(value)) {
      this.figures[name] = { value: Number(value.toPrecision(6)), unit, better };
    }
  }
}

export function writeFigures(
  path: string,
  bench: string,
  args: readonly string[],
  figures: Figures,
): void {
  const file: FiguresFile = {
    bench,
    date: new Date().toISOString(),
    runtime: runtimeLabel(),
    cpus: `${cpus().length} x ${cpus()[0]?.model.trim() ?? "?"}`,
    loadAverageStart: rounded(START_LOAD),
    loadAverage: rounded(loadavg()),
    args: [...args],
    figures,
  };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`\n${Object.keys(figures).length} figures written to ${path}`);
}

/** Reads a file `writeFigures` wrote; a clear error for anything else. */
export function readFigures(path: string, bench: string): FiguresFile {
  let file: FiguresFile;
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as FiguresFile;
  } catch (error) {
    throw new Error(`--compare ${path}: cannot read it as JSON (${(error as Error).message})`);
  }
  if (file?.bench !== bench || typeof file.figures !== "object" || file.figures === null) {
    throw new Error(`--compare ${path}: not a figures file of bench/${bench}.ts`);
  }
  return file;
}

/**
 * Prints each figure's ratio (now / baseline) with `better`/`WORSE` beyond `tolerance` (a
 * fraction), and the figures only one side has. Returns how many got worse.
 */
export function printComparison(
  baseline: FiguresFile,
  figures: Figures,
  tolerance: number,
): number {
  console.log(
    `\nCompared with ${baseline.date} (${baseline.runtime}, load average ` +
      `${baseline.loadAverageStart?.join(" ") ?? "?"} to ${baseline.loadAverage.join(" ")}; args ${
        baseline.args.join(" ") || "-"
      }); ` +
      `tolerance ±${fixed(tolerance * 100, 0)}%:`,
  );
  const rows = [["figure", "unit", "baseline", "now", "ratio", "verdict"]];
  let worse = 0;
  const names = [...new Set([...Object.keys(baseline.figures), ...Object.keys(figures)])].sort();
  for (const name of names) {
    const before = baseline.figures[name];
    const now = figures[name];
    if (!before || !now) {
      const unit = (before ?? now).unit;
      rows.push([name, unit, show(before), show(now), "-", "only one run"]);
      continue;
    }
    const ratio = now.value / before.value;
    const gain = now.better === "higher" ? ratio : 1 / ratio;
    // A ratio of figures that can be zero or negative (memory deltas) says nothing.
    const verdict = !(before.value > 0 && now.value > 0)
      ? "-"
      : gain < 1 - tolerance
      ? "WORSE"
      : gain > 1 + tolerance
      ? "better"
      : "same";
    if (verdict === "WORSE") worse++;
    rows.push([name, now.unit, show(before), show(now), `${fixed(ratio, 2)}x`, verdict]);
  }
  console.log(table(rows));
  console.log(`${worse} of ${names.length} figures worse than the baseline beyond the tolerance`);
  return worse;
}

function show(f: Figure | undefined): string {
  if (!f) return "-";
  const digits = Math.abs(f.value) >= 100 ? 0 : Math.abs(f.value) >= 10 ? 1 : 3;
  return fixed(f.value, digits);
}
