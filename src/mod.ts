/**
 * Conclave: HTTP sessions replicated across a cluster of Node, Deno and Bun nodes, the way
 * Tomcat's SimpleTcpCluster does it, with no session store.
 *
 * The public API: starting a node, its configuration, the host-mode app contract, errors, and the
 * contract third-party plugins implement. Framework doors are `conclave/express`, `conclave/hono`
 * and `conclave/fastify`; conformance suites for plugins are `conclave/testing`. Anything else in
 * the package is internal and may change in any release.
 *
 * @example Start a node from a configuration file
 * ```ts
 * import { loadConfigFile, startNode } from "conclave";
 * const node = await startNode(await loadConfigFile("cluster.json"));
 * ```
 *
 * @example A host-mode app (`"apps": [{ "path": "/", "module": "./app.ts" }]`)
 * ```ts
 * import type { ConclaveContext } from "conclave";
 * export default function app(request: Request, ctx: ConclaveContext): Response {
 *   const session = ctx.getSession();
 *   const n = ((session.get("n") as number | undefined) ?? 0) + 1;
 *   session.set("n", n);
 *   return Response.json({ n, node: ctx.jvmRoute });
 * }
 * ```
 *
 * @module
 */

// Starting a node and its configuration.
export {
  type ClusterNode,
  createNode,
  type NodeOptions,
  startNode,
  type StartNodeOptions,
} from "./node/node.ts";
export { loadConfig, loadConfigFile } from "./kernel/config/load.ts";
export type {
  AppConfig,
  ChannelConfig,
  ClusterConfig,
  ConfigOverrides,
  ConfigWarning,
  ListenerConfig,
  LoadedConfig,
  LoadOptions,
  LogLevel,
  SenderSlot,
  Slot,
} from "./kernel/config/types.ts";
export { type ChannelListener, type ChannelStats, GroupChannel } from "./kernel/channel.ts";

// Host-mode apps: an app module default-exports an `AppHandler`, and may export `sessionListener`.
export type { AppHandler, ConclaveContext, FetchApp } from "./http/host.ts";
export type { Session } from "./session/session.ts";
export type { SessionListener, SessionView } from "./interfaces/session_listener.ts";

// Errors: every error Conclave throws on purpose is a ConclaveError with a code from ERROR_CODES.
export { ConclaveError, ConfigError, ERROR_CODES, type ErrorCode } from "./errors.ts";
export { type FaultyMember, SendError, sendToEach } from "./kernel/send_error.ts";

// The plugin contract: a plugin module default-exports `definePlugin({ kind, name, create })`.
export { definePlugin, isPluginDescriptor } from "./kernel/plugin.ts";
export { PLUGIN, PLUGIN_KINDS } from "./interfaces/plugin.ts";
export type {
  Components,
  ComponentsOf,
  KindComponents,
  PluginDefinition,
  PluginDescriptor,
  PluginInstances,
  PluginKind,
} from "./interfaces/plugin.ts";
export type {
  AttributeSchema,
  AttributeSpec,
  AttributeValue,
  InitOf,
} from "./interfaces/attributes.ts";
export { InterceptorBase, isInterceptor } from "./kernel/interceptor_base.ts";
export { type Interceptor, INTERCEPTOR_LINK } from "./interfaces/interceptor.ts";
export type { Cancel, Clock } from "./interfaces/clock.ts";
export type { LogFn, Logger } from "./interfaces/logger.ts";
export type {
  DepartureReason,
  LocalMemberInit,
  Member,
  MembershipListener,
} from "./interfaces/member.ts";
export type {
  LocalMemberProperties,
  Membership,
  MembershipChannel,
} from "./interfaces/membership.ts";
export {
  type ChannelMessage,
  SEND_OPTIONS_DEFAULT,
  SendOptions,
  StartOptions,
} from "./interfaces/message.ts";
export type { MessageHandler, Receiver, Sender, Transport } from "./interfaces/transport.ts";
export {
  isExpired,
  type Manager,
  type ManagerChannel,
  type SessionRecord,
} from "./interfaces/manager.ts";
export type { Exchange, Valve } from "./interfaces/valve.ts";
export type { Startable } from "./interfaces/startable.ts";
export { UniqueId } from "./interfaces/unique_id.ts";
