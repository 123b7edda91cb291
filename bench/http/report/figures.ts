/**
 * The figures of a `bench/http.ts` run under stable names, for `--json OUT.json` and
 * `--compare BASELINE.json` (`bench/lib/figures.ts`). A name is the part, the set-up's id
 * (`conclave/node/sync`, `redis/node`) and what was measured.
 *
 * @module
 */
import { type Figures, FigureSet } from "../../lib/figures.ts";
import { median } from "../../lib/stats.ts";
import type { Out } from "../results.ts";
import { summary } from "../util.ts";
import { redisRps } from "./format.ts";

export function httpFigures(out: Out): Figures {
  const set = new FigureSet();
  for (const r of out.loads) {
    const at = `load.${r.setUp}.${r.path}.c${r.concurrency}`;
    set.add(`${at}.rps`, r.wrk.rps, "req/s", "higher");
    set.add(`${at}.p99`, r.wrk.p99, "ms", "lower");
    set.add(`${at}.cpu_per_request`, r.cpuUsPerRequest, "µs", "lower");
    // Against Redis in the same run: steadier than req/s on a shared machine.
    if (r.kind !== "redis") {
      const base = redisRps(out.loads, r.path, r.concurrency);
      if (base) set.add(`${at}.x_redis`, r.wrk.rps / base, "x", "higher");
    }
    if (r.lag) set.add(`${at}.lag_p99`, r.lag.p99, "ms", "lower");
  }
  if (out.floor) set.add("lag.loopback_floor.p99", out.floor.p99, "ms", "lower");
  for (const r of out.lags) {
    set.add(`lag.${r.setUp}.p50`, r.lag.p50, "ms", "lower");
    set.add(`lag.${r.setUp}.p99`, r.lag.p99, "ms", "lower");
    set.add(`lag.${r.setUp}.floor_p99`, r.floor.p99, "ms", "lower");
  }
  for (const r of out.failovers) {
    set.add(`failover.${r.setUp}.p50`, summary(r.trials).p50, "ms", "lower");
    set.add(`failover.${r.setUp}.max`, summary(r.trials).max, "ms", "lower");
    if (r.detection.length > 0) {
      set.add(`failover.${r.setUp}.detection_p50`, median(r.detection), "ms", "lower");
    }
  }
  for (const r of out.scales) {
    set.add(`scale.${r.setUp}.seed`, r.seedMs, "ms", "lower");
    if (r.transfer) set.add(`scale.${r.setUp}.transfer`, r.transfer.mbPerSec, "MB/s", "higher");
    for (const m of r.memory) {
      const where = m.where.split(" ")[0];
      set.add(`scale.${r.setUp}.memory.${where}`, m.overhead, "B/session", "lower");
    }
  }
  return set.figures;
}
