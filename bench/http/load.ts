/**
 * The load runs of `bench/http.ts`: wrk on every set-up, case by case, with the CPU time of the
 * set-up's processes, of wrk and of the machine, and the replication lag seen during writes.
 *
 * @module
 */
import { join } from "node:path";
import { fixed, int } from "../lib/stats.ts";
import type { Out } from "./results.ts";
import { progress, writeRow } from "./settings.ts";
import type { Path, Settings } from "./settings.ts";
import { makePool, pids, run, type SetUp, tagOf } from "./setup.ts";
import { cpuMs, getJson, machineCpuMs, reapedChildrenCpuMs, sleep, summary } from "./util.ts";
import { runWrk, type WrkResult } from "./wrk.ts";
import { ms } from "./report/format.ts";

export interface LoadRow {
  setUp: string;
  kind: string;
  runtime: string;
  version: string;
  sendOptions: string;
  path: Path;
  concurrency: number;
  wrk: WrkResult;
  /** CPU time of the set-up's server processes per request, µs. */
  cpuUsPerRequest: number;
  /** Cores the set-up's processes kept busy on average. */
  cores: number;
  /** Cores wrk kept busy, and the whole machine (everything running on it). */
  wrkCores: number;
  machineCores: number;
  /** Replication lag seen by the other nodes during the run (writes on Conclave), ms. */
  lag?: ReturnType<typeof summary>;
  /** req/s of every round, when there were several. */
  rounds?: number[];
}

export async function lagSamples(setUp: SetUp, servers = setUp.servers): Promise<number[]> {
  const answers = await Promise.all(
    servers.map((s) => getJson<{ samples: number[] }>(`http://127.0.0.1:${s.httpPort}/lag`)),
  );
  return answers.flatMap((a) => a.samples);
}

/**
 * The servers wrk loads: with `--load-on first`, a Conclave cluster's first node alone (and the
 * first of the ceiling's processes).
 */
function loaded(setUp: SetUp, settings: Settings) {
  const servers = setUp.kind !== "redis" && settings.loadOn === "first"
    ? setUp.servers.slice(0, 1)
    : setUp.servers;
  return servers.map((s) => ({ port: s.httpPort, cookies: s.pool }));
}

export async function load(
  setUp: SetUp,
  path: Path,
  concurrency: number,
  settings: Settings,
): Promise<LoadRow> {
  const targets = loaded(setUp, settings);
  const threads = Math.min(settings.threads, concurrency);
  const base = {
    scriptFile: join(run.workDir, "wrk.lua"),
    targets,
    path: `/${path}`,
    threads,
    connections: concurrency,
    started: (pid: number) => run.wrkPid = pid,
  };
  await runWrk({ ...base, seconds: settings.warmup });
  if (setUp.kind === "conclave") await lagSamples(setUp); // forget the warm-up's
  const cpu0 = cpuMs(pids(setUp));
  const wrkCpu0 = reapedChildrenCpuMs();
  const machine0 = machineCpuMs();
  const wrk = await runWrk({ ...base, seconds: settings.seconds });
  const cpu = cpuMs(pids(setUp)) - cpu0;
  const machine1 = machineCpuMs();
  await sleep(20); // wrk is waited for by now (its CPU time moves to our children's)
  const wrkCpu = reapedChildrenCpuMs() - wrkCpu0;
  run.wrkPid = undefined;
  const row: LoadRow = {
    setUp: setUp.id,
    kind: setUp.kind,
    runtime: setUp.runtime,
    version: setUp.version,
    sendOptions: setUp.sendOptions,
    path,
    concurrency,
    wrk,
    cpuUsPerRequest: wrk.requests > 0 ? (cpu * 1000) / wrk.requests : NaN,
    cores: cpu / 1000 / wrk.seconds,
    wrkCores: wrkCpu / 1000 / wrk.seconds,
    machineCores: (machine1.busy - machine0.busy) / 1000 / wrk.seconds,
  };
  if (setUp.kind === "conclave" && path === "write") row.lag = summary(await lagSamples(setUp));
  return row;
}

/** Before the first timed run of a set-up: writes, then reads, at the highest concurrency. */
export async function warmUp(setUp: SetUp, settings: Settings): Promise<void> {
  const connections = Math.max(...settings.concurrency);
  for (const path of ["/write", "/read"]) {
    await runWrk({
      scriptFile: join(run.workDir, "wrk.lua"),
      targets: loaded(setUp, settings),
      path,
      threads: Math.min(settings.threads, connections),
      connections,
      seconds: settings.setUpWarmup,
      started: (pid: number) => run.wrkPid = pid,
    });
  }
  run.wrkPid = undefined;
}

/**
 * The load runs of every set-up, interleaved: each case runs on one set-up after the other (the
 * order turning from case to case), so that whatever else loads the machine meets all of them
 * alike. With several rounds, each row is the round of median req/s.
 */
export async function loadPhase(setUps: SetUp[], settings: Settings, out: Out): Promise<void> {
  for (const setUp of setUps) {
    progress(`${tagOf(setUp)}: ${settings.pool} sessions per node to replay; warm-up`);
    await Promise.all(setUp.servers.map((s) => makePool(setUp, s, settings.pool)));
    await warmUp(setUp, settings);
  }
  const runs = new Map<string, LoadRow[]>();
  let turn = 0;
  for (let round = 0; round < settings.rounds; round++) {
    for (const path of ["read", "write"] as Path[]) {
      for (const c of settings.concurrency) {
        const order = setUps.map((_, i) => setUps[(i + turn) % setUps.length]);
        turn++;
        for (const setUp of order) {
          const row = await load(setUp, path, c, settings);
          const key = `${setUp.id} ${path} ${c}`;
          runs.set(key, [...(runs.get(key) ?? []), row]);
          progress(
            `${tagOf(setUp)} ${path} c${c}: ${int(row.wrk.rps)} req/s, p50 ` +
              `${ms(row.wrk.p50)} ms, p99 ${ms(row.wrk.p99)} ms, ` +
              `${fixed(row.cpuUsPerRequest, 0)} µs CPU/req` +
              (row.lag ? `, lag p99 ${ms(row.lag.p99)} ms` : ""),
          );
        }
      }
    }
  }
  for (const setUp of setUps) {
    for (const path of ["read", "write"] as Path[]) {
      for (const c of settings.concurrency) {
        const rows = [...runs.get(`${setUp.id} ${path} ${c}`)!].sort((a, b) =>
          a.wrk.rps - b.wrk.rps
        );
        const row = { ...rows[(rows.length - 1) >> 1], rounds: rows.map((r) => r.wrk.rps) };
        out.loads.push(row);
        writeRow({ case: "load", ...row });
      }
    }
  }
}
