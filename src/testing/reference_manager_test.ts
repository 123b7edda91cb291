import { managerConformance } from "../../test/conformance/manager.ts";
import { waitFor } from "../../test/conformance/wait.ts";
import type { ClusterNode } from "../kernel/node.ts";
import { createNode } from "../kernel/node.ts";
import { silentLogger } from "../kernel/log.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { ManualClock } from "./manual_clock.ts";
import { ReferenceManager } from "./reference_manager.ts";
import { memoryChannel } from "./memory_config.ts";

managerConformance("ReferenceManager", () => {
  const clock = new ManualClock();
  const network = `manager-${UniqueId.random().hex}`;
  const nodes: ClusterNode[] = [];
  return {
    clock,
    async createNode() {
      const node = await createNode({
        jvmRoute: `n${nodes.length}`,
        cluster: {
          className: "SimpleTcpCluster",
          channel: memoryChannel(network),
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
      return new ReferenceManager({
        name: "/",
        channel: node.channel,
        clock,
        sendOptions: 6,
        stateTransferTimeout: 60_000,
      });
    },
    async teardown() {
      for (const node of nodes) await node.stop();
    },
  };
});
