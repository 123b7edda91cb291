/**
 * For plugin authors: the base classes, the plugin factory and the contracts.
 *
 * @module
 */
export { definePlugin, isPluginDescriptor } from "./kernel/plugin.ts";
export { InterceptorBase, isInterceptor } from "./kernel/interceptor_base.ts";
export { type FaultyMember, SendError, sendToEach } from "./kernel/send_error.ts";
export { ConclaveError, ConfigError, ERROR_CODES, type ErrorCode } from "./errors.ts";
export { type Interceptor, INTERCEPTOR_LINK } from "./interfaces/interceptor.ts";
export type {
  AttributeSchema,
  AttributeSpec,
  AttributeValue,
  InitOf,
} from "./interfaces/attributes.ts";
export type { Cancel, Clock } from "./interfaces/clock.ts";
export type { Logger } from "./interfaces/logger.ts";
export type { LocalMemberInit, Member, MembershipListener } from "./interfaces/member.ts";
export type { LocalMemberProperties, Membership } from "./interfaces/membership.ts";
export { type ChannelMessage, SendOptions, StartOptions } from "./interfaces/message.ts";
export { PLUGIN, PLUGIN_KINDS } from "./interfaces/plugin.ts";
export type {
  Components,
  ComponentsOf,
  KindComponents,
  PluginDefinition,
  PluginDescriptor,
  PluginKind,
} from "./interfaces/plugin.ts";
export type { MessageHandler, Receiver, Sender, Transport } from "./interfaces/transport.ts";
export { UniqueId } from "./interfaces/unique_id.ts";
export { ManualClock } from "./kernel/manual_clock.ts";
export { MemoryNetwork } from "../plugins/membership/memory/network.ts";
