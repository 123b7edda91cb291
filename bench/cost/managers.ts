/**
 * What sessions cost on the wire and in memory, for `bench/cost.ts`: N nodes in this process on
 * the in-memory network and a ManualClock, each with a DeltaManager or a BackupManager, sending
 * through `wire_counter.ts`. One request at a time, each awaited (sync-ack, options 6), so that no
 * two share a bundle and every count is exact.
 *
 * @module
 */
import process from "node:process";
import { silentLogger } from "../../src/kernel/log.ts";
import { ManualClock } from "../../src/kernel/manual_clock.ts";
import { waitFor } from "../../src/conformance/wait.ts";
import type { Manager } from "../../src/interfaces/manager.ts";
import type { PluginDescriptor } from "../../src/interfaces/plugin.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { type ClusterNode, createNode } from "../../src/node/node.ts";
import backupPlugin, { type BackupManager } from "../../plugins/manager/backup/mod.ts";
import deltaPlugin, { type DeltaManager } from "../../plugins/manager/delta/mod.ts";
import { collectGarbage } from "../lib/gc.ts";
import { resetCounts, totalCount, type WireCount, wireCounts } from "./wire_counter.ts";

export type ManagerName = "DeltaManager" | "BackupManager";

/** Per new session and per write: frames and bytes summed over the cluster. */
export interface PerOp {
  messages: number;
  bytes: number;
  acks: number;
  ackBytes: number;
}

export interface ManagerRow {
  manager: ManagerName;
  members: number;
  sessions: number;
  writes: number;
  perSession: PerOp;
  perWrite: PerOp;
  /** Session copies held per node (store size), average, and as a share of all sessions. */
  heldPerNode: number;
  heldShare: number;
  /** BackupManager: sessions each node knows the place of (all of them). */
  placesPerNode?: number;
  /** Heap growth per node after a full GC, bytes; NaN when GC is not exposed. */
  heapPerNode: number;
}

const COUNTING_MEMORY = `${new URL("./wire_counter.ts", import.meta.url).href}#memory`;
const PAYLOAD = 1024;

function payload(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(PAYLOAD / 2));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function perOp(before: WireCount, after: WireCount, ops: number): PerOp {
  return {
    messages: (after.messages - before.messages) / ops,
    bytes: (after.bytes - before.bytes) / ops,
    acks: (after.acks - before.acks) / ops,
    ackBytes: (after.ackBytes - before.ackBytes) / ops,
  };
}

function heapUsed(): number {
  return collectGarbage() ? process.memoryUsage().heapUsed : NaN;
}

async function cluster(name: ManagerName, members: number) {
  const clock = new ManualClock();
  const network = `cost-${UniqueId.random().hex}`;
  const plugin = (name === "DeltaManager" ? deltaPlugin : backupPlugin) as PluginDescriptor<
    "manager"
  >;
  const defaults = Object.fromEntries(
    Object.entries(plugin.attributes).map(([k, s]) => [k, s.default]),
  );
  const nodes: ClusterNode[] = [];
  const managers: Manager[] = [];
  for (let i = 0; i < members; i++) {
    const node = await createNode({
      jvmRoute: `n${i + 1}`,
      cluster: {
        className: "SimpleTcpCluster",
        channel: {
          className: "GroupChannel",
          membership: { className: "MemoryMembership", network },
          receiver: { className: "MemoryReceiver", network, port: 0 },
          sender: { className: COUNTING_MEMORY, network },
          interceptors: [],
        },
      },
    }, { logger: silentLogger(), clock });
    await node.start();
    nodes.push(node);
    await waitFor(clock, () => node.members().length === i, "the new node to see the others");
    const manager = await plugin.create(defaults, {
      logger: silentLogger(),
      clock,
      baseDir: ".",
      localMember: { id: node.uniqueId, jvmRoute: node.jvmRoute },
      channel: node.channel,
      contextName: "/",
      sendOptions: 6,
    });
    await manager.start();
    managers.push(manager);
  }
  if (!wireCounts.has(nodes[0].uniqueId.hex)) {
    throw new Error("The counting sender was not used: the bench counts nothing");
  }
  return {
    managers,
    stop: async () => {
      for (const m of managers) await m.stop();
      for (const n of nodes) await n.stop();
      for (const n of nodes) wireCounts.delete(n.uniqueId.hex);
    },
  };
}

/** New sessions (spread evenly over the nodes), then writes on their owners; then memory. */
export async function managerCost(
  name: ManagerName,
  members: number,
  sessions: number,
  writes: number,
): Promise<ManagerRow> {
  const { managers, stop } = await cluster(name, members);
  try {
    resetCounts();
    const heap0 = heapUsed();
    const owned: [Manager, string][] = [];
    const c0 = totalCount();
    for (let i = 0; i < sessions; i++) {
      const manager = managers[i % members];
      const session = manager.createSession();
      session.attributes.set("data", payload());
      session.attributes.set("t", Date.now());
      session.attributes.set("n", 0);
      await manager.requestCompleted(session.id);
      owned.push([manager, session.id]);
    }
    const c1 = totalCount();
    for (let i = 0; i < writes; i++) {
      const [manager, id] = owned[i % owned.length];
      const session = manager.findSession(id);
      if (!session) throw new Error(`${name}: session ${id} lost on its owner`);
      session.attributes.set("data", payload());
      session.attributes.set("t", Date.now());
      session.attributes.set("n", i);
      await manager.requestCompleted(id);
    }
    const c2 = totalCount();
    const heap1 = heapUsed();
    const stores = managers.map((m) => (m as DeltaManager | BackupManager).store.size);
    const held = stores.reduce((a, b) => a + b, 0) / members;
    return {
      manager: name,
      members,
      sessions,
      writes,
      perSession: perOp(c0, c1, sessions),
      perWrite: perOp(c1, c2, writes),
      heldPerNode: held,
      heldShare: held / sessions,
      placesPerNode: name === "BackupManager"
        ? managers.reduce((s, m) => s + m.sessionCount, 0) / members
        : undefined,
      heapPerNode: (heap1 - heap0) / members,
    };
  } finally {
    await stop();
  }
}
