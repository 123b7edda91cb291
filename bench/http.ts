/**
 * HTTP session benchmark (issue 6): a 3-node Conclave cluster next to the usual Node answer,
 * `express` + `express-session` + `connect-redis` on two processes and a `redis-server`, in one
 * run on this machine. It prints numbers and goals; it asserts nothing.
 *
 * ```sh
 * node --import tsx bench/http.ts            # everything, about 5 minutes
 * node --import tsx bench/http.ts --quick    # short runs, 20,000 sessions, about 2.5 minutes
 * ```
 * Flags: `--quick`, `--runtimes node,bun,deno` (the runtimes the Conclave cluster runs on),
 * `--seconds S` (a timed load run, whole seconds), `--warmup S` (before each run),
 * `--setup-warmup S` (writes, then reads, before a set-up's first run), `--concurrency 16,64`,
 * `--threads N` (wrk threads), `--nodes N` (per Conclave cluster, 3 by default), `--load-on
 * all|first` (wrk loads every node, or node 1 alone: with `--nodes 2`, the layout issue 18
 * measured in), `--ceiling` (also load each runtime's HTTP server answering the
 * same JSON with no sessions, `bench/http/hello.ts`: the most Conclave could do there), `--pool N` (sessions per node the load replays), `--sessions N`
 * (for state transfer and memory), `--seed-window N`, `--trials N` (failovers per set-up),
 * `--lag-writes N`, `--rounds N` (timed runs per case; rows show the median), `--parts
 * load,lag,failover,scale` (the measurements to run, all by default), `--no-async` (no
 * `async` send-options row), `--skip-redis`, `--keep` (keep configurations and logs in
 * `.conclave-tmp/`), `--json OUT.json` (write the figures, keyed by stable names),
 * `--compare BASELINE.json` (print each figure's ratio to that earlier run's, flagged beyond
 * `--tolerance F`, default 0.1; `bench/baseline.json` is this machine kind's).
 *
 * Every server is a child process on 127.0.0.1, started here and ended by its pid.
 *
 * - Conclave: three nodes run `node.ts` in host mode (static membership with a secret, NioReceiver,
 *   TcpFailureDetector + MessageDispatchInterceptor, DeltaManager, ReplicationValve +
 *   JvmRouteBinderValve) and serve `bench/http/app.ts`; `channelSendOptions` "use_ack,sync"
 *   on each runtime, and a second cluster per runtime with "async" (Tomcat's and Conclave's
 *   default, `channelSendOptions` 8); goals are printed for both. The manager `className` is
 *   `bench/http/manager.ts`: the built-in DeltaManager, recorded where the app's `/seed` finds
 *   it, and started only once the membership has found a member (up to 1.5 s: see its comment).
 *   The nodes start one after the other.
 * - Redis: `bench/http/express_redis.ts` twice on Node, on one `redis-server` (no
 *   persistence). Without `redis-server` its rows are skipped, and the Conclave rows still run.
 * - Load: every set-up is started first and stays up (idle when not loaded) through the load
 *   runs, which alternate between the set-ups case by case, so that other work on the machine
 *   meets them alike; each set-up then runs the rest in its turn and is stopped (after a load
 *   phase, the set-ups still waiting stay up, idle but for heartbeats; a run without load starts
 *   each set-up at its turn).
 *   One `wrk` per run; thread i talks to node i mod nodes (16 threads: 6/5/5 of 16
 *   connections, 24/20/20 of 64 on Conclave; 8/8 and 32/32 on Redis), and each connection replays,
 *   in turn, the session cookies made on its node (sticky, as behind a balancer). `/read` reads
 *   the session; `/write` sets its 1 KiB string, a timestamp and its counter. CPU per request is
 *   the user + system time (/proc) of the set-up's server processes (redis-server included) over
 *   the timed run, divided by the requests.
 * - Loopback floor (`bench/lib/loopback_floor.ts`, before the light-load lag): the same pace and
 *   clock with no Conclave code, 1 KiB from one process to two others over TCP; the delay this
 *   machine's scheduling alone puts on every replicated write.
 * - Replication lag: the app stamps each write (ms since the epoch, sub-ms); a session listener on
 *   every other node takes the difference when the change is applied there. Measured during the
 *   write runs, and at light load (sequential writes on n1, 1 ms apart), where the goal applies.
 * - Failover: three writes on the last node make a session with counter 3; kill -9; writes with
 *   its cookie go to the other nodes in turn until one answers counter 4. The time runs from the
 *   kill to that answer. The node is then restarted (and the survivors wait until it joined).
 * - State transfer and memory: a fresh 4th node joins (its memory with no sessions), leaves; n1's
 *   `/seed` creates N sessions of the same shape in its process (random 1 KiB each), replicated
 *   as requests would; the 4th node joins again, and its "State transfer done" line gives the
 *   sessions and ms. Memory is RSS after a full GC (`--expose-gc`; `Bun.gc(true)`), per session
 *   added, minus the 1024-byte payload; the heap figures are beside it.
 *
 * The parts live in `bench/http/`: one file per set-up and per measurement, the report one file
 * per section (`bench/http/report/`).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { killAll } from "../test/helpers/node_process.ts";
import { installedVersion, REPO } from "../test/helpers/runtime.ts";
import { fixed } from "./lib/stats.ts";
import { plan, runPlan } from "./http/plan.ts";
import { printIntro } from "./http/report/intro.ts";
import { httpFigures } from "./http/report/figures.ts";
import { printReport } from "./http/report/report.ts";
import { printComparison, readFigures, writeFigures } from "./lib/figures.ts";
import type { Out } from "./http/results.ts";
import { parseSettings } from "./http/settings.ts";
import { run } from "./http/setup.ts";
import { haveWrk } from "./http/wrk.ts";

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const settings = parseSettings(argv);
  // Read before the run: a bad baseline should not cost a 5-minute run.
  const baseline = settings.compare ? readFigures(settings.compare, "http") : undefined;
  const began = Date.now();
  run.workDir = join(REPO, ".conclave-tmp", `bench-http-${process.pid}`);
  mkdirSync(run.workDir, { recursive: true });
  const cleanUp = () => {
    if (run.wrkPid !== undefined) {
      try {
        process.kill(run.wrkPid, "SIGKILL");
      } catch {
        // gone
      }
    }
    void killAll();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(130);
    });
  }
  const load = () => loadavg().map((n) => n.toFixed(2)).join(" ");
  console.log(
    `Conclave HTTP session benchmark: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ` +
      `load average ${load()}`,
  );
  const wrk = haveWrk();
  const redis = settings.redis && !spawnSync("redis-server", ["--version"]).error;
  const runtimes = settings.runtimes.filter((r) => {
    if (installedVersion(r)) return true;
    console.log(`# skipped: Conclave on ${r} (not installed)`);
    return false;
  });
  printIntro(settings, wrk, redis);

  const out: Out = { loads: [], lags: [], failovers: [], scales: [] };
  let failed: unknown;
  try {
    await runPlan(plan(settings, runtimes, wrk, redis), settings, out);
  } catch (error) {
    failed = error;
  } finally {
    cleanUp();
  }
  printReport(settings, out);
  if (!failed) {
    const figures = httpFigures(out);
    if (settings.json) writeFigures(settings.json, "http", argv, figures);
    if (baseline) printComparison(baseline, figures, settings.tolerance);
  }
  console.log(
    `\ntotal time ${fixed((Date.now() - began) / 1000, 0)} s; load average now ${load()}` +
      (settings.keep ? `; configurations and logs in ${run.workDir}` : ""),
  );
  if (!settings.keep && !failed) rmSync(run.workDir, { recursive: true, force: true });
  if (failed) {
    console.error(
      `http bench failed (logs in ${run.workDir}): ${(failed as Error).stack ?? failed}`,
    );
    process.exit(1);
  }
  process.exit(0);
}

await main();
