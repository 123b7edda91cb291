/**
 * The throughput and latency table of `bench/http.ts`'s report.
 *
 * @module
 */
import { fixed, int, table } from "../../lib/stats.ts";
import type { LoadRow } from "../load.ts";
import { ms, redisRps } from "./format.ts";

export function printLoads(loads: readonly LoadRow[]): void {
  console.log("");
  console.log(
    "Throughput and latency (wrk; the set-up's nodes share the connections; CPU µs/req = user " +
      "+ system time of the set-up's server processes per request; cores = the set-up's " +
      "processes, wrk, and the whole machine, busy cores on average over the timed run)\n",
  );
  console.log(table([
    [
      "set-up",
      "runtime",
      "send",
      "case",
      "conns",
      "req/s",
      "p50 ms",
      "p99 ms",
      "CPU µs/req",
      "cores",
      "wrk",
      "machine",
      "errors",
      "lag p50/p99 ms",
      "x Redis",
      "x Redis CPU",
    ],
    ...loads.map((r) => {
      const base = redisRps(loads, r.path, r.concurrency);
      const baseCpu = loads.find((x) =>
        x.kind === "redis" && x.path === r.path && x.concurrency === r.concurrency
      )?.cpuUsPerRequest;
      const e = r.wrk.errors;
      const errors = e.connect + e.read + e.write + e.status + e.timeout;
      return [
        r.kind === "redis" ? "express+redis" : r.kind === "ceiling" ? "no sessions" : "conclave",
        `${r.runtime} ${r.version}`,
        r.sendOptions,
        r.path,
        String(r.concurrency),
        int(r.wrk.rps),
        ms(r.wrk.p50),
        ms(r.wrk.p99),
        fixed(r.cpuUsPerRequest, 0),
        fixed(r.cores, 2),
        fixed(r.wrkCores, 2),
        fixed(r.machineCores, 2),
        String(errors),
        r.lag ? `${ms(r.lag.p50)}/${ms(r.lag.p99)}` : "",
        r.kind === "redis" || !base ? "" : `${fixed(r.wrk.rps / base, 2)}x`,
        r.kind === "redis" || !baseCpu ? "" : `${fixed(baseCpu / r.cpuUsPerRequest, 2)}x`,
      ];
    }),
  ]));
  console.log(
    "x Redis: req/s over the express+redis row of the same case (the goals); x Redis CPU: the " +
      "Redis set-up's CPU µs/req over this row's (the ratio if both had the machine to " +
      "themselves and were CPU-bound); lag: write on one node to the change applied on the " +
      "others, during the run" +
      (loads.some((r) => r.kind === "ceiling")
        ? "; no sessions: the runtime's HTTP server as Conclave uses it, answering the same " +
          "JSON with nothing behind it (bench/http/hello.ts), the most Conclave could do there"
        : ""),
  );
}
