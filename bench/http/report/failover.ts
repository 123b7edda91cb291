/**
 * The failover table of `bench/http.ts`'s report.
 *
 * @module
 */
import { table } from "../../lib/stats.ts";
import type { FailoverRow } from "../failover.ts";
import { summary } from "../util.ts";
import { ms } from "./format.ts";

export function printFailovers(failovers: readonly FailoverRow[]): void {
  if (failovers.length === 0) return;
  console.log(
    "\nFailover: a client's session lives on the last node (3 writes there); kill -9; then " +
      "writes with its cookie to the other nodes in turn, until one answers counter 4\n",
  );
  console.log(table([
    [
      "set-up",
      "runtime",
      "trials",
      "p50 ms",
      "max ms",
      "each ms",
      "requests",
      "wrong",
      "detected ms",
      "repl. warnings",
      "restart ms",
    ],
    ...failovers.map((r) => {
      const s = summary(r.trials);
      return [
        r.setUp.startsWith("redis") ? "express+redis" : "conclave",
        r.runtime,
        String(r.trials.length),
        ms(s.p50),
        ms(s.max),
        r.trials.map((t) => ms(t, 1)).join(" "),
        r.attempts.join(" "),
        String(r.wrong),
        r.detection.length ? r.detection.map((d) => ms(d, 0)).join(" ") : "-",
        r.setUp.startsWith("redis") ? "-" : String(r.replicationWarnings),
        r.restart.join(" "),
      ];
    }),
  ]));
}
