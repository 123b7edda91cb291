/**
 * The order of `bench/http.ts`: which set-ups run which measurements, every set-up up together
 * for the load runs, then each in turn for the rest, stopped after it.
 *
 * @module
 */
import { fixed, int } from "../lib/stats.ts";
import { loopbackFloor } from "../lib/loopback_floor.ts";
import { startCeiling } from "./ceiling.ts";
import { startConclave } from "./conclave.ts";
import { failover } from "./failover.ts";
import { lightLag } from "./lag.ts";
import { loadPhase } from "./load.ts";
import { startRedis } from "./redis.ts";
import { ms } from "./report/format.ts";
import type { Out } from "./results.ts";
import { scale } from "./scale.ts";
import { type Parts, progress, type Runtime, type Settings, writeRow } from "./settings.ts";
import { type SetUp, stopSetUp, tagOf } from "./setup.ts";

type Plan = { start: () => Promise<SetUp>; parts: Parts }[];

/** The set-ups to start, each with the measurements it takes part in. */
export function plan(settings: Settings, runtimes: Runtime[], wrk: boolean, redis: boolean): Plan {
  const wanted = settings.parts;
  const only = (p: Parts): Parts => ({
    load: p.load && wanted.load,
    lag: p.lag && wanted.lag,
    failover: p.failover && wanted.failover,
    scale: p.scale && wanted.scale,
  });
  const plan: Plan = [];
  if (redis) {
    plan.push({
      start: startRedis,
      parts: only({ load: wrk, lag: false, failover: true, scale: true }),
    });
  }
  for (const runtime of runtimes) {
    if (settings.ceiling) {
      plan.push({
        start: () => startCeiling(runtime, settings.nodes),
        parts: only({ load: wrk, lag: false, failover: false, scale: false }),
      });
    }
    plan.push({
      start: () => startConclave(runtime, "use_ack,sync", undefined, settings.nodes),
      parts: only({ load: wrk, lag: true, failover: true, scale: true }),
    });
    if (settings.async) {
      plan.push({
        start: () => startConclave(runtime, "async", undefined, settings.nodes),
        parts: only({ load: wrk, lag: true, failover: false, scale: false }),
      });
    }
  }
  return plan;
}

/** Runs the plan into `out`; every set-up started is stopped, also when a measurement throws. */
export async function runPlan(plan: Plan, settings: Settings, out: Out): Promise<void> {
  const running: { setUp: SetUp; parts: Parts }[] = [];
  const started = new Map<Plan[number], { setUp: SetUp; parts: Parts }>();
  const start = async (entry: Plan[number]) => {
    const setUp = await entry.start();
    const record = { setUp, parts: entry.parts };
    running.push(record);
    started.set(entry, record);
    progress(
      `${setUp.id}: started ${
        [
          ...setUp.servers.map((s) => `${s.name} pid ${s.proc.pid}`),
          ...setUp.others.map((p) => `${p.name} pid ${p.pid}`),
        ].join(", ")
      }`,
    );
  };
  const wanted = plan.filter(({ parts }) => Object.values(parts).includes(true));
  try {
    // Every set-up of the load phase runs through it (idle but for heartbeats when it is not
    // loaded), so that the load runs can alternate between them; a set-up with no load runs
    // starts at its turn, so that its lag is measured with no other set-up's nodes up.
    for (const entry of wanted) if (entry.parts.load) await start(entry);
    await loadPhase(running.filter((r) => r.parts.load).map((r) => r.setUp), settings, out);
    if (wanted.some((r) => r.parts.lag)) {
      out.floor = await loopbackFloor(settings.lagWrites);
      writeRow({ case: "floor", lag: out.floor });
      progress(`loopback floor: p50 ${ms(out.floor.p50, 3)} ms, p99 ${ms(out.floor.p99, 3)} ms`);
    }
    for (const entry of wanted) {
      if (!started.has(entry)) await start(entry);
      const record = started.get(entry)!;
      try {
        await restPhase(record.setUp, settings, out, record.parts);
      } finally {
        running.splice(running.indexOf(record), 1);
        await stopSetUp(record.setUp);
      }
    }
  } finally {
    for (const { setUp } of running) await stopSetUp(setUp).catch(() => {});
  }
}

/** Replication lag, failover, state transfer and memory of one set-up. */
async function restPhase(setUp: SetUp, settings: Settings, out: Out, parts: Parts): Promise<void> {
  const tag = tagOf(setUp);
  if (parts.lag) {
    const row = await lightLag(setUp, settings);
    out.lags.push(row);
    writeRow({ case: "lag", ...row });
    progress(`${tag} lag: p50 ${ms(row.lag.p50, 3)} ms, p99 ${ms(row.lag.p99, 3)} ms`);
  }
  if (parts.failover) {
    const row = await failover(setUp, settings);
    out.failovers.push(row);
    writeRow({ case: "failover", ...row });
  }
  if (parts.scale) {
    const row = await scale(setUp, settings);
    out.scales.push(row);
    writeRow({ case: "scale", ...row });
    if (row.transfer) {
      progress(
        `${tag}: state transfer of ${int(row.transfer.sessions)} sessions in ` +
          `${int(row.transfer.ms)} ms = ${fixed(row.transfer.mbPerSec, 1)} MB/s`,
      );
    }
  }
}
