/**
 * The plugin contract: what a module named by `className` exports.
 *
 * A plugin is a descriptor made with `definePlugin({ kind, name, create })`. The kernel checks the
 * slot's attributes against `attributes`, then calls `create(init, components)`, where `init` is the
 * validated attributes (defaults filled in), typed from the schema (`InitOf`), and `components` is
 * what the kernel injects for the plugin's kind (`ComponentsOf`).
 *
 * @module
 */
import type { ErrorCode } from "../errors.ts";
import type { SocketProvider } from "../runtime/sockets.ts";
import type { AttributeSchema, InitOf } from "./attributes.ts";
import type { Valve } from "./valve.ts";
import type { Clock } from "./clock.ts";
import type { Interceptor } from "./interceptor.ts";
import type { Logger } from "./logger.ts";
import type { LocalMemberInit } from "./member.ts";
import type { Manager, ManagerChannel } from "./manager.ts";
import type { Membership } from "./membership.ts";
import type { Receiver, Sender, Transport } from "./transport.ts";

/** The slot kinds of `cluster.json`, as in Tomcat's `server.xml`. */
export type PluginKind =
  | "membership"
  | "receiver"
  | "sender"
  | "transport"
  | "interceptor"
  | "manager"
  | "valve"
  | "clusterListener";

/** All kinds, in the order slots appear in `cluster.json`. */
export const PLUGIN_KINDS: readonly PluginKind[] = [
  "manager",
  "membership",
  "receiver",
  "sender",
  "transport",
  "interceptor",
  "valve",
  "clusterListener",
];

/** What a plugin of each kind creates. */
export interface PluginInstances {
  membership: Membership;
  receiver: Receiver;
  sender: Sender;
  transport: Transport;
  interceptor: Interceptor;
  manager: Manager;
  valve: Valve;
  clusterListener: unknown;
}

/** What the kernel hands to every plugin's `create`. A plugin uses only the parts it needs. */
export interface Components {
  /** A child logger already bound to `{ component: "<kind>/<name>" }`. */
  logger: Logger;
  clock: Clock;
  /** Absolute folder of the configuration file: resolve relative paths (certificates) against it. */
  baseDir: string;
  /** The local node's id and route, before its receiver has bound. */
  localMember: LocalMemberInit;
  /**
   * A configuration error about a value inside this slot, such as `("tls.cert", found, expected)`,
   * carrying the file, JSON path, line and column. Absent when a plugin is built outside a config.
   */
  invalid?: (subPath: string, found: string, expected: string, code?: ErrorCode) => Error;
  /**
   * The membership's `secret`, for the receiver and transport: with it every channel connection
   * is authenticated and encrypted. Absent or empty: none.
   */
  channelSecret?: string;
  /** The runtime's sockets (`node:net` today); absent means the default provider. */
  sockets?: SocketProvider;
}

/** What the kernel hands to a plugin of one kind besides `Components`. */
export interface KindComponents {
  membership: Record<never, never>;
  receiver: Record<never, never>;
  /** A sender gets the instance configured in its `transport` slot, if any. */
  sender: { transport?: Transport };
  transport: Record<never, never>;
  interceptor: Record<never, never>;
  /** A manager gets its channel, its app's context name and the cluster's `channelSendOptions`. */
  manager: { channel: ManagerChannel; contextName: string; sendOptions: number };
  valve: Record<never, never>;
  clusterListener: Record<never, never>;
}

/** What `create` of a plugin of kind `K` receives. */
export type ComponentsOf<K extends PluginKind> = Components & KindComponents[K];

/** Marks descriptors across copies of this package. */
export const PLUGIN: unique symbol = Symbol.for("conclave.plugin") as never;

/**
 * A plugin descriptor; make one with `definePlugin`. `S` is its attribute schema; a registry of
 * descriptors of any schema holds them as `PluginDescriptor<K>` (attributes as a plain record).
 */
export interface PluginDescriptor<
  K extends PluginKind = PluginKind,
  S extends AttributeSchema = AttributeSchema,
> {
  readonly [PLUGIN]: true;
  readonly kind: K;
  /** `<kind>/<name>` in kebab case, such as `membership/static`; used in logs. */
  readonly name: string;
  /** Names accepted in `className` besides the module specifier, such as `StaticMembershipService`. */
  readonly shortNames: readonly string[];
  /** Tomcat's fully qualified class names that map to this plugin. */
  readonly aliases: readonly string[];
  /** Accepted attributes; unknown ones warn (or fail with `strict`). */
  readonly attributes: S;
  // A method, not a function property: so a descriptor of any schema fits `PluginDescriptor<K>`.
  create(
    init: InitOf<S>,
    components: ComponentsOf<K>,
  ): PluginInstances[K] | Promise<PluginInstances[K]>;
}

/** What `definePlugin` takes: the descriptor without its marker, names optional. */
export interface PluginDefinition<
  K extends PluginKind,
  S extends AttributeSchema = AttributeSchema,
> {
  kind: K;
  name: string;
  shortNames?: readonly string[];
  aliases?: readonly string[];
  attributes?: S;
  create(
    init: InitOf<S>,
    components: ComponentsOf<K>,
  ): PluginInstances[K] | Promise<PluginInstances[K]>;
}
