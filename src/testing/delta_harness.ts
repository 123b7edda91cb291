/**
 * Nodes on the in-memory network with a session manager each, on a manual clock.
 *
 * @module
 */
import type { ManagerHarness, ManagerNodeOptions } from "../conformance/manager.ts";
import { waitFor } from "../conformance/wait.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { silentLogger } from "../kernel/log.ts";
import { type ClusterNode, createNode } from "../node/node.ts";
import type { Manager } from "../interfaces/manager.ts";
import type { PluginDescriptor } from "../interfaces/plugin.ts";
import backupPlugin, { type BackupManager } from "../../plugins/manager/backup/mod.ts";
import deltaPlugin, { type DeltaManager } from "../../plugins/manager/delta/mod.ts";
import { ManualClock } from "../kernel/manual_clock.ts";
import { memoryChannel } from "./memory_config.ts";

/** A harness whose nodes are also kept, so tests can count messages and stop nodes. */
export interface NodesHarness<M extends Manager> extends ManagerHarness {
  createNode(options?: ManagerNodeOptions): Promise<M>;
  nodes: ClusterNode[];
  /** The in-memory network's name, to deliver hand-made messages on it. */
  network: string;
}

export type DeltaHarness = NodesHarness<DeltaManager>;

/** Nodes with a DeltaManager each. */
export function deltaHarness(
  options: { sendOptions?: number; attributes?: Record<string, unknown> } = {},
): DeltaHarness {
  return managerHarness<DeltaManager>(deltaPlugin, options);
}

/**
 * Two started managers, `a` then `b`, on the harness's network; `channel` is a's, and `sentBy()`
 * counts the messages a sent.
 */
export async function startPair<M extends Manager>(harness: NodesHarness<M>) {
  const a = await harness.createNode();
  await a.start();
  const b = await harness.createNode();
  await b.start();
  const channel = harness.nodes[0].channel;
  return { a, b, channel, sentBy: () => channel.stats.messagesSent };
}

/** `count` started managers on the harness's network, in the order they joined. */
export async function startManagers<M extends Manager>(
  harness: NodesHarness<M>,
  count: number,
): Promise<M[]> {
  const managers: M[] = [];
  for (let i = 0; i < count; i++) {
    const m = await harness.createNode();
    await m.start();
    managers.push(m);
  }
  return managers;
}

/** Nodes with a BackupManager each. */
export function backupHarness(
  options: { sendOptions?: number; attributes?: Record<string, unknown> } = {},
): NodesHarness<BackupManager> {
  return managerHarness<BackupManager>(backupPlugin, options);
}

function managerHarness<M extends Manager>(
  plugin: PluginDescriptor<"manager">,
  options: { sendOptions?: number; attributes?: Record<string, unknown> },
): NodesHarness<M> {
  const clock = new ManualClock();
  const network = `delta-${UniqueId.random().hex}`;
  const nodes: ClusterNode[] = [];
  return {
    clock,
    nodes,
    network,
    async createNode(perNode: ManagerNodeOptions = {}) {
      const node = await joinMemoryNode(nodes, network, clock, `n${nodes.length + 1}`, [
        { className: "MessageDispatchInterceptor" },
      ]);
      const defaults = Object.fromEntries(
        Object.entries(plugin.attributes).map(([k, s]) => [k, s.default]),
      );
      return plugin.create({ ...defaults, ...options.attributes, ...perNode }, {
        logger: silentLogger(),
        clock,
        baseDir: ".",
        localMember: { id: node.uniqueId, jvmRoute: node.jvmRoute },
        channel: node.channel,
        contextName: "/",
        sendOptions: options.sendOptions ?? 6,
      }) as M;
    },
    async teardown() {
      for (const node of nodes) await node.stop();
    },
  };
}

/**
 * Starts a node on the in-memory `network`, adds it to `nodes`, and resolves once it sees every
 * node started before it.
 */
export async function joinMemoryNode(
  nodes: ClusterNode[],
  network: string,
  clock: ManualClock,
  jvmRoute: string,
  interceptors: Record<string, unknown>[] = [],
): Promise<ClusterNode> {
  const node = await createNode({
    jvmRoute,
    cluster: { className: "SimpleTcpCluster", channel: memoryChannel(network, { interceptors }) },
  }, { logger: silentLogger(), clock });
  await node.start();
  const before = nodes.length;
  nodes.push(node);
  await waitFor(clock, () => node.members().length === before, "the new node to see the others");
  return node;
}
