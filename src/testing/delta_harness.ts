/**
 * Nodes on the in-memory network with a DeltaManager each, on a manual clock.
 *
 * @module
 */
import type { ManagerHarness } from "../../test/conformance/manager.ts";
import { waitFor } from "../../test/conformance/wait.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { silentLogger } from "../kernel/log.ts";
import { type ClusterNode, createNode } from "../kernel/node.ts";
import deltaPlugin, { type DeltaManager } from "../../plugins/manager/delta/mod.ts";
import { ManualClock } from "./manual_clock.ts";

/** A harness whose nodes are also kept, so tests can count messages and stop nodes. */
export interface DeltaHarness extends ManagerHarness {
  createNode(): Promise<DeltaManager>;
  nodes: ClusterNode[];
}

export function deltaHarness(
  options: { sendOptions?: number; attributes?: Record<string, unknown> } = {},
): DeltaHarness {
  const clock = new ManualClock();
  const network = `delta-${UniqueId.random().hex}`;
  const nodes: ClusterNode[] = [];
  return {
    clock,
    nodes,
    async createNode() {
      const node = await createNode({
        jvmRoute: `n${nodes.length + 1}`,
        cluster: {
          className: "SimpleTcpCluster",
          channel: {
            className: "GroupChannel",
            membership: { className: "MemoryMembership", network },
            receiver: { className: "MemoryReceiver", network, port: 0 },
            sender: { className: "MemorySender", network },
            interceptors: [{ className: "MessageDispatchInterceptor" }],
          },
        },
      }, { logger: silentLogger(), clock });
      await node.start();
      const before = nodes.length;
      nodes.push(node);
      await waitFor(
        clock,
        () => node.members().length === before,
        "the new node to see the others",
      );
      const defaults = Object.fromEntries(
        Object.entries(deltaPlugin.attributes).map(([k, s]) => [k, s.default]),
      );
      return deltaPlugin.create({ ...defaults, ...options.attributes }, {
        logger: silentLogger(),
        clock,
        baseDir: ".",
        localMember: { id: node.uniqueId, jvmRoute: node.jvmRoute },
        channel: node.channel,
        contextName: "/",
        sendOptions: options.sendOptions ?? 6,
      }) as DeltaManager;
    },
    async teardown() {
      for (const node of nodes) await node.stop();
    },
  };
}
