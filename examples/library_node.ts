/**
 * What the three library-mode examples share: a node started in code from the environment
 * (static membership of two nodes on 127.0.0.1), and waiting for Ctrl-C.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
// In an app: `import { startNode } from "conclave"`.
import { type ClusterNode, startNode } from "../src/mod.ts";

/**
 * The node: static membership on loopback; every node lists every receiver (MEMBER_PORTS, a
 * comma-separated list; 4101 and 4102 by default).
 */
export function clusterConfig(jvmRoute: string, receiverPort: number): Record<string, unknown> {
  const ports = (process.env.MEMBER_PORTS ?? "4101,4102").split(",").map(Number);
  return {
    jvmRoute,
    logLevel: process.env.LOG_LEVEL ?? "warn",
    // The app path whose sessions the node replicates; the framework serves it, not the node.
    apps: [{ path: "/", distributable: true }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: "use_ack,sync", // a response waits until every node has the change
      channel: {
        className: "GroupChannel",
        membership: {
          className: "StaticMembershipService",
          members: ports.map((port) => ({ host: "127.0.0.1", port })),
          secret: process.env.CONCLAVE_CLUSTER_SECRET ?? "example-only-secret",
        },
        receiver: { className: "NioReceiver", address: "127.0.0.1", port: receiverPort },
      },
    },
  };
}

/** Starts the node that JVM_ROUTE, PORT and RECEIVER_PORT describe. */
export async function startExampleNode(): Promise<
  { node: ClusterNode; jvmRoute: string; port: number }
> {
  const jvmRoute = process.env.JVM_ROUTE ?? "n1";
  const port = Number(process.env.PORT ?? 3001);
  const receiverPort = Number(process.env.RECEIVER_PORT ?? 4101);
  return { node: await startNode(clusterConfig(jvmRoute, receiverPort)), jvmRoute, port };
}

/** Resolves on SIGINT or SIGTERM. */
export function untilStopped(): Promise<unknown> {
  return new Promise((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}

/** True when the module at `url` is the program being run (not imported by a test). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && url === pathToFileURL(entry).href;
}
