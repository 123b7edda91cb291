/**
 * State transfer and memory of `bench/http.ts`: sessions seeded through n1, a 4th node joining
 * before and after, and resident memory per session.
 *
 * @module
 */
import { logged, type NodeProcess } from "../../test/helpers/node_process.ts";
import { fixed, int } from "../lib/stats.ts";
import { startConclaveNode } from "./conclave.ts";
import { KIB, progress, type Runtime, type Settings } from "./settings.ts";
import { type Server, type SetUp, START_TIMEOUT, waitLine } from "./setup.ts";
import { freePort, getJson, rssBytes, sleep } from "./util.ts";

export interface Mem {
  rss: number;
  heapUsed: number;
  sessions: number;
}

export interface ScaleRow {
  setUp: string;
  runtime: string;
  sessions: number;
  /** Seeding through n1 (Conclave: created and replicated to the others). */
  seedMs: number;
  seedFailed: number;
  memory: {
    where: string;
    before: Mem;
    after: Mem;
    /** Sessions added between before and after. */
    sessions: number;
    /** Bytes per session beyond the 1 KiB payload (RSS). */
    overhead: number;
  }[];
  transfer?: {
    /** The joining node's "State transfer done": sessions and ms. */
    sessions: number;
    ms: number;
    mbPerSec: number;
    /** From spawning the joining node to its "State transfer done" and "Node started". */
    spawnToDoneMs: number;
    spawnToStartedMs: number;
    from: string;
  };
}

export async function mem(server: Server): Promise<Mem> {
  const m = await getJson<{ rss: number; heapUsed: number; sessions?: number }>(
    `http://127.0.0.1:${server.httpPort}/mem?gc=1`,
  );
  return { rss: m.rss, heapUsed: m.heapUsed, sessions: m.sessions ?? 0 };
}

export function memoryEntry(where: string, before: Mem, after: Mem) {
  const sessions = after.sessions - before.sessions;
  return { where, before, after, sessions, overhead: (after.rss - before.rss) / sessions - KIB };
}

/**
 * Seeds `n` sessions through `server`'s `/seed`, in requests of at most 5,000 sessions: Bun.serve
 * cuts a request that runs longer than 10 s (its default `idleTimeout`; reported as a product
 * problem). Returns the wall time, ms, and the failed replications.
 */
export async function seedInBatches(
  server: Server,
  n: number,
  window: number,
): Promise<{ ms: number; failed: number }> {
  const t0 = performance.now();
  let failed = 0;
  for (let done = 0; done < n;) {
    const batch = Math.min(5000, n - done);
    const answer = await getJson<{ failed: number }>(
      `http://127.0.0.1:${server.httpPort}/seed?n=${batch}&window=${window}`,
      120_000,
    );
    failed += answer.failed;
    done += batch;
  }
  return { ms: performance.now() - t0, failed };
}

export async function scale(setUp: SetUp, settings: Settings): Promise<ScaleRow> {
  const n = settings.sessions;
  const [origin, replica] = setUp.servers;
  const seed = () => seedInBatches(origin, n, settings.seedWindow);
  if (setUp.kind === "redis") {
    const redis = setUp.others[0];
    const before: Mem = { rss: rssBytes(redis.pid), heapUsed: NaN, sessions: 0 };
    const seeded = await seed();
    await sleep(200);
    const after: Mem = { rss: rssBytes(redis.pid), heapUsed: NaN, sessions: n };
    return {
      setUp: setUp.id,
      runtime: setUp.runtime,
      sessions: n,
      seedMs: seeded.ms,
      seedFailed: seeded.failed,
      memory: [memoryEntry("redis-server", before, after)],
    };
  }
  // A fourth node joins once before seeding, for the memory of a fresh node with (almost) no
  // sessions, and once after, for the state transfer and the memory of all the sessions.
  let ports = { http: 0, receiver: 0 };
  const join = async (record: (joiner: NodeProcess, spawnedAt: number) => Promise<void>) => {
    // Ports picked now: picked at start, one was taken by a client's ephemeral port by the time
    // the node joined (EADDRINUSE).
    ports = { http: await freePort(), receiver: await freePort() };
    const marks = setUp.servers.map((s) => s.proc.mark());
    const spawnedAt = Date.now();
    const joiner = startConclaveNode(
      setUp,
      setUp.runtime as Runtime,
      "n4",
      setUp.configFile!,
      ports,
    );
    try {
      await record(joiner, spawnedAt);
    } finally {
      await joiner.stop();
      await Promise.all(
        setUp.servers.map((s, i) =>
          s.proc.next(logged("Member disappeared", "n4"), { from: marks[i], timeoutMs: 10_000 })
        ),
      );
    }
  };
  const joinerServer = (proc: NodeProcess): Server => ({
    name: "n4",
    httpPort: ports.http,
    receiverPort: ports.receiver,
    proc,
    pool: [],
  });
  let fresh: Mem | undefined;
  await join(async (joiner) => {
    await waitLine(joiner, "Node started", START_TIMEOUT);
    fresh = await mem(joinerServer(joiner));
  });
  const before = [await mem(origin), await mem(replica)];
  const seeded = await seed();
  await sleep(200);
  const after = [await mem(origin), await mem(replica)];
  const row: ScaleRow = {
    setUp: setUp.id,
    runtime: setUp.runtime,
    sessions: n,
    seedMs: seeded.ms,
    seedFailed: seeded.failed,
    memory: [],
  };
  progress(`${setUp.id}: ${int(n)} sessions seeded in ${fixed(seeded.ms / 1000, 1)} s`);
  await join(async (joiner, spawnedAt) => {
    const done = await waitLine(joiner, "State transfer done", 300_000);
    const started = await waitLine(joiner, "Node started", START_TIMEOUT);
    const sessions = Number(done.sessions);
    const ms = Number(done.ms);
    row.transfer = {
      sessions,
      ms,
      mbPerSec: (sessions * KIB) / 1e6 / (ms / 1000),
      spawnToDoneMs: done.time - spawnedAt,
      spawnToStartedMs: started.time - spawnedAt,
      from: String(done.from),
    };
    row.memory.push(memoryEntry("joiner n4", fresh!, await mem(joinerServer(joiner))));
  });
  row.memory.push(memoryEntry("replica n2", before[1], after[1]));
  row.memory.push(memoryEntry("origin n1", before[0], after[0]));
  return row;
}
