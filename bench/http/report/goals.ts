/**
 * The goals of `bench/http.ts` (issue 6), printed beside the figures and listed at the end of the
 * report, met or missed; never asserted.
 *
 * @module
 */
import { fixed } from "../../lib/stats.ts";
import type { Out } from "../results.ts";
import { KIB, type Path, type Settings } from "../settings.ts";
import { modes, ms, redisRps } from "./format.ts";

export const GOAL_RATIO_NODE = 3;
export const GOAL_RATIO_FASTEST = 6;
export const GOAL_LAG_P99_MS = 2;
export const GOAL_TRANSFER_MB_S = 50;
export const GOAL_OVERHEAD_BYTES = 1.5 * KIB;

export function printGoals(settings: Settings, out: Out): void {
  const { loads, lags, scales } = out;
  const byMode = modes(loads);
  const goals: [string, boolean | undefined][] = [];
  for (const { label, fastest, node } of byMode) {
    for (const path of ["read", "write"] as Path[]) {
      for (const c of settings.concurrency) {
        const base = redisRps(loads, path, c);
        const rps = (id: string | undefined) =>
          loads.find((r) => r.setUp === id && r.path === path && r.concurrency === c)?.wrk.rps;
        const onNode = rps(node);
        const onFastest = rps(fastest);
        if (base && onNode) {
          goals.push([
            `${path} c${c} on node (${label}): ${fixed(onNode / base, 2)}x Redis ` +
            `(>= ${GOAL_RATIO_NODE}x)`,
            onNode / base >= GOAL_RATIO_NODE,
          ]);
        }
        if (base && onFastest) {
          goals.push([
            `${path} c${c} on the fastest runtime (${fastest?.split("/")[1]}, ${label}): ` +
            `${fixed(onFastest / base, 2)}x Redis (>= ${GOAL_RATIO_FASTEST}x)`,
            onFastest / base >= GOAL_RATIO_FASTEST,
          ]);
        }
      }
    }
  }
  for (const r of lags) {
    goals.push([
      `replication lag p99 on ${r.runtime} (${r.sendOptions}): ${ms(r.lag.p99, 3)} ms ` +
      `(<= ${GOAL_LAG_P99_MS} ms; loopback floor p99 ${ms(r.floor.p99, 3)} ms)`,
      r.lag.p99 <= GOAL_LAG_P99_MS,
    ]);
  }
  for (const r of scales.filter((s) => s.transfer)) {
    goals.push([
      `state transfer on ${r.runtime}: ${
        fixed(r.transfer!.mbPerSec, 1)
      } MB/s (>= ${GOAL_TRANSFER_MB_S})`,
      r.transfer!.mbPerSec >= GOAL_TRANSFER_MB_S,
    ]);
    const replica = r.memory.find((m) => m.where.startsWith("joiner"));
    if (replica) {
      goals.push([
        `memory on ${r.runtime}: ${fixed(replica.overhead, 0)} B per session beyond the payload ` +
        `(<= ${GOAL_OVERHEAD_BYTES})`,
        replica.overhead <= GOAL_OVERHEAD_BYTES,
      ]);
    }
  }
  console.log(
    `\nFastest runtime (geometric mean of its req/s over the load cases): ${
      byMode.map((m) => `${m.fastest?.split("/")[1] ?? "-"} (${m.label})`).join(", ")
    }`,
  );
  console.log(
    `Goals (printed, not asserted): ${
      goals.filter(([, met]) => met).length
    } of ${goals.length} met`,
  );
  for (const [text, met] of goals) console.log(`  ${met ? "met   " : "MISSED"} ${text}`);
}
