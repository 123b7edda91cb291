/**
 * A node configuration on the in-memory network, for tests that host apps in one process.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../kernel/config/load.ts";
import type { LoadedConfig } from "../kernel/config/types.ts";
import type { ClusterNode } from "../kernel/node.ts";

/** The repository root: app module paths in these configs resolve against it. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** A `GroupChannel` on the in-memory network `network` (no interceptors unless given). */
export function memoryChannel(
  network: string,
  extra: { interceptors?: Record<string, unknown>[]; heartbeatSleeptime?: number } = {},
): Record<string, unknown> {
  return {
    className: "GroupChannel",
    membership: { className: "MemoryMembership", network },
    receiver: { className: "MemoryReceiver", network, port: 0 },
    sender: { className: "MemorySender", network },
    interceptors: [],
    ...extra,
  };
}

/**
 * `jvmRoute` on the in-memory network `network`, serving `apps` on 127.0.0.1 (any free port),
 * replicating with `sendOptions` (default 6, use_ack+sync).
 */
export function memoryHostConfig(
  network: string,
  jvmRoute: string,
  apps: Record<string, unknown>[] = [
    { path: "/", module: "./examples/session-counter/app.ts", distributable: true },
  ],
  sendOptions = 6,
): LoadedConfig {
  return loadConfig({
    jvmRoute,
    http: { host: "127.0.0.1", port: 0 },
    apps,
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: sendOptions,
      channel: memoryChannel(network),
    },
  }, { baseDir: REPO_ROOT });
}

/** Resolves once `node` sees another member (at once if it already does). */
export function seesAMember(node: ClusterNode): Promise<void> {
  return new Promise((resolve) => {
    if (node.members().length > 0) resolve();
    node.channel.addMembershipListener({ memberAdded: () => resolve(), memberDisappeared() {} });
  });
}
