/**
 * A full garbage collection for the memory figures of the benchmarks: `Bun.gc(true)` on Bun,
 * `gc()` (twice) where Node or Deno expose it (`--expose-gc`, `--v8-flags=--expose-gc`).
 *
 * @module
 */
import { detectRuntime } from "../../src/runtime/detect.ts";

/** Collects garbage; false when this runtime was not started with `gc()` exposed. */
export function collectGarbage(): boolean {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (detectRuntime().name === "bun") {
    g.Bun!.gc(true);
    return true;
  }
  if (typeof g.gc === "function") {
    g.gc();
    g.gc();
    return true;
  }
  return false;
}
