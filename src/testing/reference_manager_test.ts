import { managerConformance } from "../conformance/manager.ts";
import type { ClusterNode } from "../kernel/node.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { ManualClock } from "../kernel/manual_clock.ts";
import { ReferenceManager } from "./reference_manager.ts";
import { joinMemoryNode } from "./delta_harness.ts";

managerConformance("ReferenceManager", () => {
  const clock = new ManualClock();
  const network = `manager-${UniqueId.random().hex}`;
  const nodes: ClusterNode[] = [];
  return {
    clock,
    async createNode(options = {}) {
      const node = await joinMemoryNode(nodes, network, clock, `n${nodes.length}`);
      return new ReferenceManager({
        name: "/",
        channel: node.channel,
        clock,
        jvmRoute: node.jvmRoute,
        sendOptions: 6,
        stateTransferTimeout: 60_000,
        ...options,
      });
    },
    async teardown() {
      for (const node of nodes) await node.stop();
    },
  };
});
