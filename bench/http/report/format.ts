/**
 * What the sections of `bench/http.ts`'s report share: milliseconds as text, and which set-ups
 * the goals compare (Redis's req/s of a case, the fastest runtime's and Node's set-up per mode).
 *
 * @module
 */
import { fixed } from "../../lib/stats.ts";
import type { LoadRow } from "../load.ts";
import type { Path } from "../settings.ts";

/** Milliseconds with `digits` decimals; `-` for a value that is not finite. */
export const ms = (v: number, digits = 2) => Number.isFinite(v) ? fixed(v, digits) : "-";

function geomean(values: number[]): number {
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

/** The Express + Redis set-up's req/s for one case. */
export function redisRps(loads: readonly LoadRow[], path: Path, c: number): number | undefined {
  return loads.find((r) => r.kind === "redis" && r.path === path && r.concurrency === c)?.wrk.rps;
}

/** Per send mode (sync first, then async): the fastest runtime's set-up and Node's. */
export function modes(loads: readonly LoadRow[]) {
  const score = (id: string) => geomean(loads.filter((r) => r.setUp === id).map((r) => r.wrk.rps));
  /** The set-ups of one send mode; the fastest runtime's and Node's among them. */
  const mode = (async: boolean) => {
    const ids = [
      ...new Set(
        loads.filter((r) => r.kind === "conclave" && (r.sendOptions === "async") === async)
          .map((r) => r.setUp),
      ),
    ];
    return {
      label: async ? "async, the default" : "use_ack,sync",
      fastest: ids.sort((a, b) => score(b) - score(a))[0],
      node: ids.find((id) => id.startsWith("conclave/node/")),
    };
  };
  return [mode(false), mode(true)].filter((m) => m.fastest !== undefined);
}
