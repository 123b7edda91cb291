/**
 * The shapes the configuration kernel hands out: the loaded config, its slots and its warnings.
 *
 * @module
 */
import type { ErrorCode } from "../../errors.ts";

/** A 1-based line and column in the configuration file. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Where each value of a parsed file sits, keyed by JSON path (`cluster.channel.receiver.port`). */
export type PositionMap = ReadonlyMap<string, Position>;

/** Something in the configuration worth telling the user that does not stop the node. */
export interface ConfigWarning {
  readonly code: ErrorCode;
  /** For people: names the file, the path, the unknown attributes and the accepted ones. */
  readonly message: string;
  readonly file: string;
  /** JSON path of the slot or container the warning is about (`""` for the top level). */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  /** The attributes that were not recognised, in file order. */
  readonly unknown: readonly string[];
  /** Every attribute the slot accepts, sorted. */
  readonly accepted: readonly string[];
  /** Unknown attributes that look like typos, each with the accepted name it is closest to. */
  readonly didYouMean?: Readonly<Record<string, string>>;
}

/** What validating a slot later needs to know about the file it came from. */
export interface ConfigContext {
  readonly file: string;
  readonly positions: PositionMap;
  /** JSON paths whose string value came from a `${...}` substitution (and may be coerced). */
  readonly substituted: ReadonlySet<string>;
  readonly strict: boolean;
}

/** The context `validateAttributes` checks one slot or container in. */
export interface AttributeContext extends ConfigContext {
  /** JSON path of the slot or container itself. */
  readonly path: string;
  warn(warning: ConfigWarning): void;
}

/** One configured plugin: its `className` and its attributes, not yet checked by its schema. */
export interface Slot {
  readonly className: string;
  /** JSON path of the slot (`cluster.channel.interceptors[0]`). */
  readonly path: string;
  /** The attributes without `className`, as written (after `${...}` substitution). */
  readonly raw: Record<string, unknown>;
}

/** The sender slot also holds the transport it sends through (Tomcat's `<Transport>`). */
export interface SenderSlot extends Slot {
  readonly transport?: Slot;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface ListenerConfig {
  readonly host: string;
  readonly port: number;
  /** `http` only: the largest request body handed to an app, bytes. */
  readonly maxBodyBytes?: number;
  /** `admin` only: the bearer token every admin request must carry. */
  readonly token?: string;
}

export interface AppConfig {
  /** URL path prefix, always starting with `/`; also the session cookie's `Path`. */
  readonly path: string;
  /** Module specifier of the app, resolved against `baseDir` by the app loader. */
  readonly module?: string;
  readonly distributable: boolean;
  /** Sets the session cookie's `Secure` flag. */
  readonly secure: boolean;
  readonly cookieName: string;
}

export interface ChannelConfig {
  readonly heartbeat: boolean;
  readonly heartbeatSleeptime: number;
  readonly optionCheck: boolean;
  readonly membership: Slot;
  readonly receiver: Slot;
  readonly sender: SenderSlot;
  readonly interceptors: readonly Slot[];
}

export interface ClusterConfig {
  /**
   * True when the file has no `cluster`: the node runs alone (Tomcat without `<Cluster>`), its
   * channel a private in-memory one with no port and no membership traffic.
   */
  readonly alone: boolean;
  /** The bit field, whatever form the file used. */
  readonly channelSendOptions: number;
  readonly channelStartOptions: number;
  readonly heartbeatBackgroundEnabled: boolean;
  readonly manager: Slot;
  readonly channel: ChannelConfig;
  readonly valves: readonly Slot[];
  readonly clusterListeners: readonly Slot[];
}

/** A checked configuration with every default filled in; plugin slots are checked later. */
export interface LoadedConfig {
  /** The file as given, or `"<code>"` for a config passed in code. */
  readonly file: string;
  /** Absolute folder that relative module specifiers and paths resolve against. */
  readonly baseDir: string;
  readonly jvmRoute?: string;
  readonly http: ListenerConfig;
  readonly admin?: ListenerConfig;
  /** ms a stopping node lets requests in flight finish before it leaves. */
  readonly shutdownTimeout: number;
  readonly apps: readonly AppConfig[];
  readonly strict: boolean;
  readonly logLevel: LogLevel;
  readonly cluster: ClusterConfig;
  readonly warnings: readonly ConfigWarning[];
  /** Pass to `validateAttributes` (with a slot's `path` and a `warn`) to check a plugin slot. */
  readonly context: ConfigContext;
}

/** Per-node values from command-line flags; they win over the file. */
export interface ConfigOverrides {
  jvmRoute?: string;
  httpPort?: number;
  receiverPort?: number;
  logLevel?: string;
}

export interface LoadOptions {
  /** Where `${NAME}` is read from. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  overrides?: ConfigOverrides;
  /** For `loadConfig` only: the folder relative specifiers resolve against. Default: the cwd. */
  baseDir?: string;
}
