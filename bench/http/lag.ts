/**
 * Replication lag of `bench/http.ts` at light load: sequential writes on n1, 1 ms apart.
 *
 * @module
 */
import process from "node:process";
import type { RuntimeName } from "../../test/helpers/runtime.ts";
import { Http1Client } from "../lib/http1_client.ts";
import { runtimeFloor, WARM_UP } from "../lib/loopback_floor.ts";
import { lagSamples } from "./load.ts";
import type { Settings } from "./settings.ts";
import { makePool, pids, type SetUp } from "./setup.ts";
import { cpuMs, machineCpuMs, reapedChildrenCpuMs, sleep, summary } from "./util.ts";

export interface LagRow {
  setUp: string;
  runtime: string;
  sendOptions: string;
  writes: number;
  lag: ReturnType<typeof summary>;
  /** Client-side latency of the writes, ms. */
  write: ReturnType<typeof summary>;
  /** The loopback floor on this runtime, measured just before (`bench/lib/loopback_floor.ts`). */
  floor: ReturnType<typeof summary>;
  /**
   * Cores kept busy by everything else on the machine (not the set-up, the floor's processes or
   * this one) during the timed writes and during the floor: on two cores, the tails follow it.
   */
  otherCores: { lag: number; floor: number };
}

/** Busy cores of the machine, less what `own` (ms of CPU read by the caller) accounts for. */
function otherLoad(own: () => number) {
  const self = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const t0 = performance.now();
  const machine0 = machineCpuMs().busy;
  const own0 = own() + self();
  return () => {
    const busy = machineCpuMs().busy - machine0 - (own() + self() - own0);
    return Math.max(0, busy / (performance.now() - t0));
  };
}

/**
 * Sequential writes on n1, 1 ms apart; the other nodes time each change's arrival. Just before,
 * the loopback floor on the same runtime, so that both meet the machine in the same state. As
 * the floor leaves out its first messages, the first `WARM_UP` writes are left out here.
 */
export async function lightLag(setUp: SetUp, settings: Settings): Promise<LagRow> {
  const [writer, ...readers] = setUp.servers;
  // A set-up started for this alone has no sessions yet: the writes go to existing sessions, as
  // after a load phase, not each to a new one.
  if (writer.pool.length === 0) await makePool(setUp, writer, settings.pool);
  const nodes = pids(setUp);
  // The floor's processes are this one's child and grandchildren, all reaped once it is done.
  const duringFloor = otherLoad(() => reapedChildrenCpuMs() + cpuMs(nodes));
  const floor = await runtimeFloor(setUp.runtime as RuntimeName, settings.lagWrites);
  const floorOthers = duringFloor();
  await writes(writer, WARM_UP);
  await sleep(200); // async sends may still be on their way
  await lagSamples(setUp);
  const duringLag = otherLoad(() => cpuMs(nodes));
  const latencies = await writes(writer, settings.lagWrites);
  const lagOthers = duringLag();
  await sleep(200);
  const samples = await lagSamples(setUp, readers);
  return {
    setUp: setUp.id,
    runtime: setUp.runtime,
    sendOptions: setUp.sendOptions,
    writes: settings.lagWrites,
    lag: summary(samples),
    write: summary(latencies),
    floor,
    otherCores: { lag: lagOthers, floor: floorOthers },
  };
}

/**
 * `count` sequential writes on `writer`, 1 ms apart, over one kept-alive connection of the bare
 * client (`fetch`'s CPU would compete with the nodes for this machine's cores); latencies, ms.
 */
async function writes(writer: SetUp["servers"][number], count: number): Promise<number[]> {
  const latencies: number[] = [];
  const client = await Http1Client.connect(writer.httpPort);
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const response = await client.get("/write", { cookie: writer.pool[i % writer.pool.length] });
      latencies.push(performance.now() - t0);
      if (response.status !== 200) {
        throw new Error(`A light-load write answered ${response.status}: ${response.body}`);
      }
      await sleep(1);
    }
  } finally {
    client.close();
  }
  return latencies;
}
