/**
 * A cluster node: the configuration turned into a running channel (Tomcat's SimpleTcpCluster).
 * The kernel knows plugins only through their contracts: the node layer (`src/node/`) hands it
 * the built-in plugins and the managers of apps that are not distributable, and HTTP lives
 * above it.
 *
 * @module
 */
import type { Cancel, Clock } from "../interfaces/clock.ts";
import type { Interceptor } from "../interfaces/interceptor.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { Manager } from "../interfaces/manager.ts";
import type { Valve } from "../interfaces/valve.ts";
import type { LocalMemberInit, Member } from "../interfaces/member.ts";
import type {
  ComponentsOf,
  KindComponents,
  PluginDescriptor,
  PluginInstances,
  PluginKind,
} from "../interfaces/plugin.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { GroupChannel } from "./channel.ts";
import { systemClock } from "./clock.ts";
import { loadConfig } from "./config/load.ts";
import { validateAttributes } from "./config/attributes.ts";
import { configError } from "./config/config_error.ts";
import type { AppConfig, ConfigWarning, LoadedConfig, Slot } from "./config/types.ts";
import { ChannelCoordinator } from "./coordinator.ts";
import { ConfigError } from "../errors.ts";
import { isInterceptor } from "./interceptor_base.ts";
import { componentLogger, createLogger } from "./log.ts";
import { resolvePlugin } from "./resolve.ts";
import { RouteGuard } from "./routes.ts";

/** What `createNode` and `startNode` take besides the configuration. */
export interface NodeOptions {
  /** The root logger. @default pino on stdout at the config's `logLevel` */
  logger?: Logger;
  /** @default the system clock */
  clock?: Clock;
}

/** What the layer above hands the kernel: the plugins by name, and managers for local apps. */
export interface NodeAssembly {
  /** The plugins that short names and Tomcat aliases resolve to. */
  builtins: readonly PluginDescriptor[];
  /** A manager that keeps the sessions of an app that is not distributable on this node. */
  localManager(
    app: AppConfig,
    node: { jvmRoute: string; uniqueId: UniqueId; clock: Clock; logger: Logger },
  ): Manager;
}

/** A node of the cluster. */
export interface ClusterNode {
  readonly config: LoadedConfig;
  readonly jvmRoute: string;
  readonly uniqueId: UniqueId;
  readonly channel: GroupChannel;
  /**
   * The session manager of each app, by app path: the cluster's for distributable apps, a local
   * one for the others.
   */
  readonly managers: ReadonlyMap<string, Manager>;
  /** The valves every request of a distributable app passes through, outermost first. */
  readonly valves: readonly Valve[];
  readonly logger: Logger;
  /** The URL the apps are served at, when started with `host: true`. */
  readonly url?: string;
  /** The admin listener's URL, when started with `host: true` and the config has `admin`. */
  readonly adminUrl?: string;
  /**
   * True when peers must prove themselves: a membership secret or a receiver that requires
   * client certificates (mutual TLS).
   */
  readonly authenticatesPeers: boolean;
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
export async function assembleNode(
  input: LoadedConfig | Record<string, unknown>,
  options: NodeOptions & NodeAssembly,
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
      {
        code: w.code,
        path: w.path,
        unknown: w.unknown,
        accepted: w.accepted,
        ...(w.didYouMean ? { didYouMean: w.didYouMean } : {}),
      },
      "Unknown configuration attributes",
    );
  config.warnings.forEach(warnUnknown);
  if (!config.jvmRoute) {
    log.warn(
      { jvmRoute },
      "No jvmRoute configured: a random one breaks balancer stickiness across restarts",
    );
  }

  const resolve = <K extends PluginKind>(slot: Slot, kind: K | readonly K[]) =>
    resolvePlugin(slot.className, kind, {
      file: config.file,
      baseDir: config.baseDir,
      path: slot.path,
      builtins: options.builtins,
      ...config.context.positions.get(slot.path),
    });
  /** The membership's secret, once it is made: it keys the channel's connections too. */
  let channelSecret: string | undefined = undefined;
  /** Slots whose plugin was already resolved (the interceptors, to find a membership among them). */
  const resolved = new Map<Slot, PluginDescriptor>();
  const make = async <K extends PluginKind>(
    slot: Slot,
    kind: K,
    // Required where the kind has required components (a manager's channel), optional elsewhere.
    ...[extra]: Record<never, never> extends KindComponents[K] ? [KindComponents[K]?]
      : [KindComponents[K]]
  ) => {
    const plugin = resolved.get(slot) ?? await resolve(slot, kind);
    const init = validateAttributes(slot.raw, plugin.attributes, {
      ...config.context,
      path: slot.path,
      warn: warnUnknown,
    });
    const components: ComponentsOf<K> = {
      // Only the parts that open and accept connections hold the secret.
      ...(CONNECTION_KINDS.has(kind) ? { channelSecret } : {}),
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
      // Absent only where every component of the kind is optional (the tuple above says so).
      ...extra as KindComponents[K],
    };
    const instance = await plugin.create(init, components);
    checkInstance(instance, kind, slot, config, plugin.name);
    return instance as PluginInstances[K];
  };

  const { channel: channelConfig } = config.cluster;
  // Tomcat's StaticMembershipInterceptor with Member children is a membership in all but name:
  // an interceptor slot whose plugin is a membership serves as the membership.
  const interceptorPlugins: PluginDescriptor[] = [];
  for (const slot of channelConfig.interceptors) {
    const plugin = await resolve(slot, ["interceptor", "membership"] as const);
    interceptorPlugins.push(plugin);
    resolved.set(slot, plugin);
  }
  const staticAt = interceptorPlugins.findIndex((p) => p.kind === "membership");
  const staticSlot = staticAt >= 0 ? channelConfig.interceptors[staticAt] : undefined;
  const interceptorSlots = channelConfig.interceptors.filter((s) => s !== staticSlot);
  if (staticSlot) {
    log.info({ path: staticSlot.path }, `${staticSlot.className} serves as the membership`);
  }
  const membership = staticSlot
    ? await make(staticSlot, "membership")
    : await make(channelConfig.membership, "membership");
  channelSecret = membership.channelSecret || undefined;
  const receiver = await make(channelConfig.receiver, "receiver");
  const transportSlot = channelConfig.sender.transport;
  const transport = transportSlot ? await make(transportSlot, "transport") : undefined;
  const sender = await make(channelConfig.sender, "sender", transport ? { transport } : {});
  // A secret, or mutual TLS: the receiver requires client certificates and the sender shows one.
  const authenticated = channelSecret !== undefined ||
    (receiver.authenticatesPeers === true && sender.presentsCertificate === true);
  const interceptors: Interceptor[] = [];
  for (const [i, slot] of channelConfig.interceptors.entries()) {
    if (i === staticAt) continue;
    interceptors.push(await make(slot, "interceptor"));
  }
  const coordinator = new ChannelCoordinator(
    { receiver, sender, membership },
    componentLogger(root, "kernel/coordinator"),
    { authenticated, now: clock.now },
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
  // Alone (no `cluster` in the file), every app keeps its sessions on this node.
  const distributable = config.cluster.alone ? [] : config.apps.filter((app) => app.distributable);
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
  for (const app of config.apps) {
    if (!distributable.includes(app)) {
      managers.set(
        app.path,
        options.localManager(app, { jvmRoute, uniqueId, clock, logger: root }),
      );
    }
  }

  let stopBackground: Cancel | undefined;
  const routes = config.cluster.alone ? undefined : new RouteGuard(channel, local, log);
  return {
    config,
    jvmRoute,
    uniqueId,
    channel,
    managers,
    valves,
    logger: root,
    authenticatesPeers: authenticated,
    members: () => channel.getMembers(),
    start: async () => {
      await channel.start(config.cluster.channelStartOptions);
      if (!authenticated && !config.cluster.alone) {
        log.warn(
          "Neither a membership `secret` nor mutual TLS: anyone who can reach the receiver port can read and change every session",
        );
      }
      if (channelSecret !== undefined && channelSecret.length < MIN_SECRET_LENGTH) {
        log.warn(
          { length: channelSecret.length, minimum: MIN_SECRET_LENGTH },
          "The membership secret is short: anyone who records one handshake can try guesses offline; use 32 or more random characters (openssl rand -base64 32)",
        );
      }
      if (config.cluster.heartbeatBackgroundEnabled) {
        stopBackground ??= clock.setInterval(() => channel.heartbeat(), BACKGROUND_PROCESSOR_DELAY);
      }
      try {
        // As Tomcat sleeps "to establish cluster membership": a manager asks the members it
        // sees for the sessions, and a member with this node's route must be heard of first
        // (a node without apps has no sessions for a balancer to route: it need not wait).
        if (routes && config.apps.length > 0) {
          await settleMembership(channel, membership.settleTime ?? 500);
        }
        routes?.check(channel.getMembers()); // before any state transfer
        for (const manager of managers.values()) await manager.start();
        routes?.check(channel.getMembers());
      } catch (error) {
        for (const manager of managers.values()) await manager.stop().catch(() => {});
        await channel.stop().catch(() => {});
        throw error;
      }
      routes?.running();
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
