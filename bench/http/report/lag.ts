/**
 * The light-load replication lag table of `bench/http.ts`'s report, with the loopback floor.
 *
 * @module
 */
import { WARM_UP } from "../../lib/loopback_floor.ts";
import { fixed, table } from "../../lib/stats.ts";
import type { LagRow } from "../lag.ts";
import type { Settings } from "../settings.ts";
import type { summary } from "../util.ts";
import { ms } from "./format.ts";
import { GOAL_LAG_P99_MS } from "./goals.ts";

export function printLags(
  settings: Settings,
  lags: readonly LagRow[],
  floor: ReturnType<typeof summary> | undefined,
): void {
  if (lags.length === 0) return;
  console.log(
    `\nReplication lag at light load: ${settings.lagWrites} sequential writes on n1, 1 ms ` +
      `apart (after ${WARM_UP} more, left out as the floor leaves out its first messages); n2 ` +
      "and n3 time each change from the write (in the app, before the response) to " +
      `its arrival (session listener), one clock (goal: p99 <= ${GOAL_LAG_P99_MS} ms); beside ` +
      "it the loopback floor, measured on the same runtime just before (no Conclave code: " +
      "1 KiB from one process to two others over TCP, 1 ms apart, the same clock); others: " +
      "cores kept busy by everything else on the machine during the timed writes / the floor\n",
  );
  console.log(table([
    [
      "runtime",
      "send",
      "samples",
      "lag p50 ms",
      "p90",
      "p99",
      "max",
      "min",
      "floor p50",
      "floor p99",
      "write p50 ms",
      "write p99",
      "others lag/floor",
      "goal",
    ],
    ...lags.map((r) => [
      r.runtime,
      r.sendOptions,
      String(r.lag.n),
      ms(r.lag.p50, 3),
      ms(r.lag.p90, 3),
      ms(r.lag.p99, 3),
      ms(r.lag.max, 3),
      ms(r.lag.min, 3),
      ms(r.floor.p50, 3),
      ms(r.floor.p99, 3),
      ms(r.write.p50, 3),
      ms(r.write.p99, 3),
      `${fixed(r.otherCores.lag, 2)}/${fixed(r.otherCores.floor, 2)}`,
      r.lag.p99 <= GOAL_LAG_P99_MS ? "met" : "MISSED",
    ]),
  ]));
  if (floor) {
    console.log(
      `Loopback floor on node before the lag runs (the same measure, from this process): p50 ${
        ms(floor.p50, 3)
      }, p90 ` +
        `${ms(floor.p90, 3)}, p99 ${ms(floor.p99, 3)}, max ${ms(floor.max, 3)} ms`,
    );
  }
  console.log(
    "express+redis: no replication; a write is in Redis before express-session sends the " +
      "response, so every process sees it from then on",
  );
}
