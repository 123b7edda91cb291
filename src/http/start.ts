/**
 * A node with its HTTP host: what `conclave start` runs. The node is started (state transfer
 * done) before the host opens its port, so a node answers only once it holds the sessions.
 *
 * @module
 */
import { componentLogger } from "../kernel/log.ts";
import type { ClusterNode } from "../kernel/node.ts";
import { Host } from "./host.ts";

/** Serves `node`'s apps; the node returned stops the host, then leaves the cluster. */
export async function hostApps(node: ClusterNode): Promise<ClusterNode> {
  const host = new Host(node, componentLogger(node.logger, "http/host"));
  let url: string;
  try {
    url = await host.start();
  } catch (cause) {
    await node.stop();
    throw cause;
  }
  return {
    ...node,
    url,
    ...(host.adminUrl === undefined ? {} : { adminUrl: host.adminUrl }),
    stop: async () => {
      // The drain leaves time within shutdownTimeout for the copies to move and the node to leave.
      const timeout = node.config.shutdownTimeout;
      await host.stop(timeout - Math.min(5000, timeout / 4));
      await node.stop();
    },
  };
}
