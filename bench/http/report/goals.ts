/**
 * The goals of `bench/http.ts` (issue 6's lag, transfer and memory goals; issue 18's ratios and
 * CPU per read), printed beside the figures and listed at the end of the report, met or missed;
 * never asserted.
 *
 * @module
 */
import { fixed } from "../../lib/stats.ts";
import type { Out } from "../results.ts";
import { KIB, type Settings } from "../settings.ts";
import { modes, ms, redisRps } from "./format.ts";

/** Node's host-mode reads, and its sync-ack writes, over the Redis set-up's (issue 18). */
export const GOAL_READ_RATIO_NODE = 7;
export const GOAL_SYNC_WRITE_RATIO_NODE = 4;
/** CPU time of a cluster's processes per read, µs (issue 18). */
export const GOAL_CPU_PER_READ_US: Record<string, number> = { node: 50, deno: 30, bun: 30 };
export const GOAL_LAG_P99_MS = 2;
export const GOAL_TRANSFER_MB_S = 50;
export const GOAL_OVERHEAD_BYTES = 1.5 * KIB;

export function printGoals(settings: Settings, out: Out): void {
  const { loads, lags, scales } = out;
  const byMode = modes(loads);
  const goals: [string, boolean | undefined][] = [];
  for (const { label, node } of byMode) {
    const sync = label === "use_ack,sync";
    for (const c of settings.concurrency) {
      const row = (path: string) =>
        loads.find((r) => r.setUp === node && r.path === path && r.concurrency === c);
      const ratio = (path: "read" | "write", goal: number) => {
        const base = redisRps(loads, path, c);
        const rps = row(path)?.wrk.rps;
        if (!base || !rps) return;
        goals.push([
          `${path} c${c} on node (${label}): ${fixed(rps / base, 2)}x Redis (>= ${goal}x)`,
          rps / base >= goal,
        ]);
      };
      ratio("read", GOAL_READ_RATIO_NODE);
      if (sync) ratio("write", GOAL_SYNC_WRITE_RATIO_NODE);
    }
  }
  const syncReads = loads.filter((r) =>
    r.kind === "conclave" && r.sendOptions !== "async" && r.path === "read"
  );
  for (const r of syncReads) {
    const goal = GOAL_CPU_PER_READ_US[r.runtime];
    if (goal === undefined) continue;
    goals.push([
      `CPU per read c${r.concurrency} on ${r.runtime} (use_ack,sync): ` +
      `${fixed(r.cpuUsPerRequest, 1)} µs (<= ${goal})`,
      r.cpuUsPerRequest <= goal,
    ]);
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
