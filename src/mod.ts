/**
 * Conclave: HTTP sessions replicated across a cluster of Node, Deno and Bun nodes, the way
 * Tomcat's SimpleTcpCluster does it, with no session store.
 *
 * @example Start a node from a configuration file
 * ```ts
 * import { loadConfigFile, startNode } from "conclave";
 * const node = await startNode(await loadConfigFile("cluster.json"));
 * ```
 *
 * @module
 */
export {
  type ClusterNode,
  createNode,
  type NodeOptions,
  startNode,
  type StartNodeOptions,
} from "./node/node.ts";
export type { AppHandler, ConclaveContext, FetchApp } from "./http/host.ts";
export type { Session } from "./session/session.ts";
export { loadConfig, loadConfigFile } from "./kernel/config/load.ts";
export type { LoadedConfig, LoadOptions } from "./kernel/config/types.ts";
export { type ChannelListener, type ChannelStats, GroupChannel } from "./kernel/channel.ts";
export { ConclaveError, ConfigError, ERROR_CODES, type ErrorCode } from "./errors.ts";
export { SendError } from "./kernel/send_error.ts";
export { SEND_OPTIONS_DEFAULT, SendOptions, StartOptions } from "./interfaces/message.ts";
export type { Member } from "./interfaces/member.ts";
export { UniqueId } from "./interfaces/unique_id.ts";
