/**
 * A cluster node: the configuration turned into a running channel (Tomcat's SimpleTcpCluster).
 *
 * @module
 */
import type { Cancel, Clock } from "../interfaces/clock.ts";
import type { Interceptor } from "../interfaces/interceptor.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { Manager } from "../interfaces/manager.ts";
import type { Valve } from "../interfaces/valve.ts";
import type { LocalMemberInit, Member } from "../interfaces/member.ts";
import type { Components, PluginInstances, PluginKind } from "../interfaces/plugin.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { runtimeLabel } from "../runtime/detect.ts";
import { GroupChannel } from "./channel.ts";
import { systemClock } from "./clock.ts";
import { loadConfig } from "./config/load.ts";
import { validateAttributes } from "./config/attributes.ts";
import { configError } from "./config/config_error.ts";
import type { ConfigWarning, LoadedConfig, Slot } from "./config/types.ts";
import { ChannelCoordinator } from "./coordinator.ts";
import { ConfigError } from "../errors.ts";
import { isInterceptor } from "./interceptor_base.ts";
import { componentLogger, createLogger } from "./log.ts";
import { resolvePlugin } from "./resolve.ts";

/** What `createNode` and `startNode` take besides the configuration. */
export interface NodeOptions {
  /** The root logger. @default pino on stdout at the config's `logLevel` */
  logger?: Logger;
  /** @default the system clock */
  clock?: Clock;
  /** Serve the configured apps over HTTP (what `conclave start` does). @default false */
  host?: boolean;
}

/** A node of the cluster. */
export interface ClusterNode {
  readonly config: LoadedConfig;
  readonly jvmRoute: string;
  readonly uniqueId: UniqueId;
  readonly channel: GroupChannel;
  /** The session manager of each distributable app, by app path. */
  readonly managers: ReadonlyMap<string, Manager>;
  /** The valves every request of a distributable app passes through, outermost first. */
  readonly valves: readonly Valve[];
  readonly logger: Logger;
  /** The URL the apps are served at, when started with `host: true`. */
  readonly url?: string;
  /** The other live members. */
  members(): readonly Member[];
  /** Starts the channel with `channelStartOptions`; idempotent. */
  start(): Promise<void>;
  /** Leaves the cluster gracefully; idempotent. */
  stop(): Promise<void>;
}

const CONNECTION_KINDS = new Set<PluginKind>(["receiver", "sender", "transport"]);
/** Below this many characters a secret is warned about (it keys the whole channel). */
const MIN_SECRET_LENGTH = 32;
const STATIC_INTERCEPTOR = /(^|\.)StaticMembershipInterceptor$/;
/**
 * How often the node's background task runs (Tomcat's `backgroundProcessorDelay`, 10 s); with
 * `heartbeatBackgroundEnabled` it drives the channel heartbeat, as Tomcat's container thread does.
 */
export const BACKGROUND_PROCESSOR_DELAY = 10_000;

const REQUIRED_METHODS: Partial<Record<PluginKind, readonly string[]>> = {
  membership: [
    "start",
    "stop",
    "setListener",
    "setLocalMemberProperties",
    "getLocalMember",
    "getMembers",
  ],
  receiver: ["start", "stop", "setHandler"],
  sender: ["start", "stop", "sendMessage", "heartbeat", "memberDisappeared"],
  transport: ["start", "stop", "sendMessage", "heartbeat", "memberDisappeared"],
};

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
  const config = isLoaded(input) ? input : loadConfig(input);
  const uniqueId = UniqueId.random();
  const jvmRoute = config.jvmRoute ?? `node-${uniqueId.hex.slice(0, 8)}`;
  const root = options.logger ??
    createLogger({ level: config.logLevel, bindings: { node: jvmRoute } });
  const clock = options.clock ?? systemClock;
  const local: LocalMemberInit = { id: uniqueId, jvmRoute };
  const log = componentLogger(root, "kernel/node");
  const warnUnknown = (w: ConfigWarning) =>
    log.warn(
      { code: w.code, path: w.path, unknown: w.unknown, accepted: w.accepted },
      "Unknown configuration attributes",
    );
  config.warnings.forEach(warnUnknown);
  if (!config.jvmRoute) {
    log.warn(
      { jvmRoute },
      "No jvmRoute configured: a random one breaks balancer stickiness across restarts",
    );
  }

  const make = async <K extends PluginKind>(
    slot: Slot,
    kind: K,
    extra: Partial<Components> = {},
  ) => {
    const plugin = await resolvePlugin(slot.className, kind, {
      file: config.file,
      baseDir: config.baseDir,
      path: slot.path,
      ...config.context.positions.get(slot.path),
    });
    const init = validateAttributes(slot.raw, plugin.attributes, {
      ...config.context,
      path: slot.path,
      warn: warnUnknown,
    });
    const components: Components = {
      // Only the parts that open and accept connections hold the secret.
      ...(CONNECTION_KINDS.has(kind) ? { channelSecret: protection.secret } : {}),
      logger: componentLogger(root, plugin.name),
      clock,
      baseDir: config.baseDir,
      localMember: local,
      invalid: (subPath, found, expected, code = "CONFIG_ERR_TYPE") =>
        configError(
          code,
          { file: config.file, positions: config.context.positions },
          `${slot.path}.${subPath}`,
          found,
          expected,
        ),
      ...extra,
    };
    const instance = await plugin.create(init, components);
    checkInstance(instance, kind, slot, config, plugin.name);
    return instance as PluginInstances[K];
  };

  const { channel: channelConfig } = config.cluster;
  // Tomcat's StaticMembershipInterceptor with Member children is a membership in all but name.
  const staticSlot = channelConfig.interceptors.find((s) => STATIC_INTERCEPTOR.test(s.className));
  const protection = channelProtection(config, staticSlot);
  const interceptorSlots = channelConfig.interceptors.filter((s) => s !== staticSlot);
  if (staticSlot) {
    log.info({ path: staticSlot.path }, "StaticMembershipInterceptor serves as the membership");
  }
  // In file order, so that the first error reported is the first one in the file.
  const membership = await make(staticSlot ?? channelConfig.membership, "membership");
  const receiver = await make(channelConfig.receiver, "receiver");
  const transportSlot = channelConfig.sender.transport;
  const transport = transportSlot ? await make(transportSlot, "transport") : undefined;
  const sender = await make(channelConfig.sender, "sender", transport ? { transport } : {});
  const interceptors: Interceptor[] = [];
  for (const slot of interceptorSlots) interceptors.push(await make(slot, "interceptor"));
  const coordinator = new ChannelCoordinator(
    { receiver, sender, membership },
    componentLogger(root, "kernel/coordinator"),
    { authenticated: protection.secret !== undefined || protection.mutualTls, now: clock.now },
  );
  const channel = new GroupChannel({
    interceptors,
    interceptorNames: interceptorSlots.map((s) => s.className),
    coordinator,
    logger: componentLogger(root, "kernel/channel"),
    clock,
    // Tomcat: with heartbeatBackgroundEnabled the container's background thread drives it instead.
    heartbeat: channelConfig.heartbeat && !config.cluster.heartbeatBackgroundEnabled,
    heartbeatSleeptime: channelConfig.heartbeatSleeptime,
    optionCheck: channelConfig.optionCheck,
  });

  // Sessions come with hosted apps: Tomcat creates a cluster manager only for distributable apps,
  // one per app, each replicating over the node's one channel.
  const managers = new Map<string, Manager>();
  const distributable = config.apps.filter((app) => app.distributable);
  for (const app of distributable) {
    managers.set(
      app.path,
      await make(config.cluster.manager, "manager", {
        channel,
        contextName: app.path,
        sendOptions: config.cluster.channelSendOptions,
      }),
    );
  }
  const valves: Valve[] = [];
  if (distributable.length > 0) {
    for (const slot of config.cluster.valves) valves.push(await make(slot, "valve"));
    for (const slot of config.cluster.clusterListeners) await make(slot, "clusterListener");
  }

  let stopBackground: Cancel | undefined;
  return {
    config,
    jvmRoute,
    uniqueId,
    channel,
    managers,
    valves,
    logger: root,
    members: () => channel.getMembers(),
    start: async () => {
      await channel.start(config.cluster.channelStartOptions);
      if (!protection.secret && !protection.mutualTls) {
        log.warn(
          "Neither a membership `secret` nor mutual TLS: anyone who can reach the receiver port can read and change every session",
        );
      }
      if (protection.secret && protection.secret.length < MIN_SECRET_LENGTH) {
        log.warn(
          { length: protection.secret.length, minimum: MIN_SECRET_LENGTH },
          "The membership secret is short: anyone who records one handshake can try guesses offline; use 32 or more random characters (openssl rand -base64 32)",
        );
      }
      if (config.cluster.heartbeatBackgroundEnabled) {
        stopBackground ??= clock.setInterval(() => channel.heartbeat(), BACKGROUND_PROCESSOR_DELAY);
      }
      if (managers.size > 0) {
        // As Tomcat sleeps "to establish cluster membership": a manager asks the members it
        // sees for the sessions, so let heartbeats be heard first.
        const frequency = Number(channelConfig.membership.raw.frequency ?? 500) || 500;
        await settleMembership(channel, frequency);
      }
      for (const manager of managers.values()) await manager.start();
      // State transfer done: tell the others this node holds the cluster's sessions.
      membership.setLocalMemberProperties({ ready: true });
    },
    stop: async () => {
      stopBackground?.();
      stopBackground = undefined;
      for (const manager of managers.values()) await manager.stop();
      await channel.stop();
    },
  };
}

/**
 * Creates and starts a node, then logs `"Node started"`.
 *
 * @example Three nodes in one process, on the in-memory network
 * ```ts
 * const node = await startNode({
 *   jvmRoute: "node1",
 *   cluster: { className: "SimpleTcpCluster", channel: { className: "GroupChannel",
 *     membership: { className: "MemoryMembership" }, receiver: { className: "MemoryReceiver" },
 *     sender: { className: "MemorySender" } } },
 * });
 * ```
 */
export async function startNode(
  input: LoadedConfig | Record<string, unknown>,
  options: NodeOptions = {},
): Promise<ClusterNode> {
  let node = await createNode(input, options);
  await node.start();
  if (options.host && node.config.apps.length > 0) {
    const { Host } = await import("../http/host.ts");
    const host = new Host(node, componentLogger(node.logger, "http/host"));
    let url: string;
    try {
      url = await host.start();
    } catch (cause) {
      await node.stop();
      throw cause;
    }
    const cluster = node;
    node = {
      ...cluster,
      url,
      stop: async () => {
        await host.stop();
        await cluster.stop();
      },
    };
  }
  const local = node.channel.getLocalMember();
  componentLogger(node.logger, "kernel/node").info({
    jvmRoute: node.jvmRoute,
    uniqueId: node.uniqueId.hex,
    http: node.url ?? null,
    receiver: `${local.host}:${local.port}`,
    runtime: runtimeLabel(),
  }, "Node started");
  return node;
}

/**
 * Resolves once membership has settled: one `frequency` after the last member appeared, or two
 * `frequency`s after the start when none does (a node alone).
 */
function settleMembership(channel: GroupChannel, frequency: number): Promise<void> {
  // Real timers that hold the process open: nothing else may yet (the HTTP port opens later).
  return new Promise((resolve) => {
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const listener = {
      memberAdded: () => {
        clearTimeout(quiet);
        quiet = setTimeout(done, frequency);
      },
      memberDisappeared: () => {},
    };
    const deadline = setTimeout(done, 2 * frequency);
    function done() {
      clearTimeout(quiet);
      clearTimeout(deadline);
      channel.removeMembershipListener(listener);
      resolve();
    }
    channel.addMembershipListener(listener);
    if (channel.getMembers().length > 0) listener.memberAdded();
  });
}

/**
 * What protects the channel: the membership's `secret` (every connection authenticated and
 * encrypted), and mutual TLS (a receiver requiring client certificates, and a sender presenting one).
 */
export function channelProtection(
  config: LoadedConfig,
  staticSlot?: Slot,
): { secret: string | undefined; mutualTls: boolean } {
  const { channel } = config.cluster;
  const membership = staticSlot ?? channel.membership;
  const secret = membership.raw.secret;
  const receiverTls = channel.receiver.raw.tls as Record<string, unknown> | undefined;
  const senderTls = channel.sender.raw.tls ?? channel.sender.transport?.raw.tls;
  return {
    secret: typeof secret === "string" && secret !== "" ? secret : undefined,
    mutualTls: typeof receiverTls === "object" && receiverTls !== null &&
      receiverTls.requireClientCert !== false && senderTls !== undefined && senderTls !== null,
  };
}

function isLoaded(input: LoadedConfig | Record<string, unknown>): input is LoadedConfig {
  return typeof input.context === "object" && input.context !== null &&
    Array.isArray(input.warnings);
}

function checkInstance(
  instance: unknown,
  kind: PluginKind,
  slot: Slot,
  config: LoadedConfig,
  name: string,
): void {
  const methods = REQUIRED_METHODS[kind] ?? [];
  const missing = methods.filter((m) =>
    typeof (instance as Record<string, unknown>)?.[m] !== "function"
  );
  const bad = kind === "interceptor" ? !isInterceptor(instance) : missing.length > 0;
  if (bad) {
    throw new ConfigError("CONFIG_ERR_PLUGIN_INVALID", {
      file: config.file,
      path: `${slot.path}.className`,
      found: `${JSON.stringify(slot.className)} (${name}), whose create() returned ${
        kind === "interceptor"
          ? "no InterceptorBase instance"
          : `an object without ${missing.join(", ")}`
      }`,
      expected: `a ${kind} instance`,
    });
  }
}
