/**
 * The node as users start it: the kernel's assembly with the built-in plugins, a local session
 * manager for each app that is not distributable, and, for `conclave start`, the HTTP host.
 *
 * @module
 */
import type { Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { Manager } from "../interfaces/manager.ts";
import type { LoadedConfig } from "../kernel/config/types.ts";
import { componentLogger } from "../kernel/log.ts";
import { assembleNode, type ClusterNode, type NodeOptions } from "../kernel/node.ts";
import { runtimeLabel } from "../runtime/detect.ts";
import { hostApps } from "../http/start.ts";
import { DeltaManager } from "../../plugins/manager/delta/manager.ts";
import { builtinPlugins } from "./builtins.ts";

export type { ClusterNode, NodeOptions };

/** What `startNode` takes besides the configuration. */
export interface StartNodeOptions extends NodeOptions {
  /** Serve the configured apps over HTTP (what `conclave start` does). @default false */
  host?: boolean;
}

/** The manager of an app whose sessions stay on this node, as in a plain servlet container. */
function localManager(
  app: { path: string },
  node: { jvmRoute: string; uniqueId: { hex: string }; clock: Clock; logger: Logger },
): Manager {
  return new DeltaManager({
    name: app.path,
    channel: {
      send: () => Promise.resolve(),
      getMembers: () => [],
      addChannelListener() {},
      addMembershipListener() {},
    },
    clock: node.clock,
    logger: componentLogger(node.logger, "manager/local"),
    jvmRoute: node.jvmRoute,
    nodeId: node.uniqueId.hex,
    sendOptions: 0,
    stateTransferTimeout: 60,
    maxInactiveInterval: 1800,
    expireSessionsOnShutdown: false,
    processExpiresFrequency: 60_000,
  });
}

/**
 * Builds a node from its configuration: resolves every plugin slot, checks each slot's
 * attributes against its plugin's schema, and assembles the channel. Nothing is started.
 *
 * @throws {ConfigError} for any bad slot (exit status 2 from the command line)
 */
export async function createNode(
  input: LoadedConfig | Record<string, unknown>,
  options: NodeOptions = {},
): Promise<ClusterNode> {
  return await assembleNode(input, {
    ...options,
    builtins: await builtinPlugins(),
    localManager,
  });
}

/**
 * Creates and starts a node (with `host: true`, serving its apps over HTTP), then logs
 * `"Node started"`.
 *
 * @example A node from a configuration file
 * ```ts
 * import { loadConfigFile, startNode } from "conclave";
 * const node = await startNode(await loadConfigFile("cluster.json"));
 * ```
 */
export async function startNode(
  input: LoadedConfig | Record<string, unknown>,
  options: StartNodeOptions = {},
): Promise<ClusterNode> {
  let node = await createNode(input, options);
  await node.start();
  if (options.host && node.config.apps.length > 0) node = await hostApps(node);
  const log = componentLogger(node.logger, "node");
  const local = node.channel.getLocalMember();
  log.info({
    jvmRoute: node.jvmRoute,
    uniqueId: node.uniqueId.hex,
    http: node.url ?? null,
    receiver: node.config.cluster.alone ? null : `${local.host}:${local.port}`,
    runtime: runtimeLabel(),
  }, "Node started");
  if (node.config.cluster.alone) {
    log.info("No cluster configured: this node runs alone, its sessions on this node only");
  }
  return node;
}
