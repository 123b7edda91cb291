/**
 * What `bench/http.ts` prints before it starts: how the load is made, what the set-ups are, and
 * which rows are skipped.
 *
 * @module
 */
import type { Settings } from "../settings.ts";

export function printIntro(settings: Settings, wrk: boolean, redis: boolean): void {
  console.log(
    `load: wrk ${settings.threads} threads (thread i talks to node i mod nodes), ` +
      `${settings.concurrency.join(" and ")} connections in all, each connection replays the ` +
      `${settings.pool} sessions made on its node; ${settings.setUpWarmup} s of writes and of ` +
      `reads before a set-up's first run, ${settings.warmup} s before each run, then ` +
      `${settings.seconds} s timed; the runs alternate between the set-ups, case by case; every ` +
      "server, redis-server and wrk share this machine's cores",
  );
  console.log(
    `conclave: ${settings.nodes} nodes (node.ts host mode)` +
      (settings.loadOn === "first" ? ", wrk loads node 1 alone (the others replicate)" : "") +
      ", static membership on 127.0.0.1, DeltaManager, " +
      "TcpFailureDetector + MessageDispatchInterceptor, ReplicationValve + JvmRouteBinderValve; " +
      "express+redis: 2 express processes on node, express-session + connect-redis on one " +
      "redis-server (no persistence)",
  );
  console.log(
    "requests: GET /read (reads the session: counter and a 1 KiB string) and GET /write " +
      "(sets the 1 KiB string, a timestamp and the counter); both answer ~40 bytes of JSON",
  );
  if (!wrk) console.log("# skipped: load rows (wrk not installed: apt-get install wrk)");
  if (!redis) {
    console.log(
      settings.redis
        ? "# skipped: redis-server not installed (apt-get install redis-server): no Redis rows"
        : "# skipped: Redis rows (--skip-redis)",
    );
  }
}
