/**
 * Conformance harnesses for multicast and static membership on loopback, on a manual clock.
 *
 * @module
 */
import type { InitOf } from "../interfaces/attributes.ts";
import { INTERCEPTOR_LINK } from "../interfaces/interceptor.ts";
import type { Member } from "../interfaces/member.ts";
import type { Membership } from "../interfaces/membership.ts";
import type { Components } from "../interfaces/plugin.ts";
import { StartOptions } from "../interfaces/message.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { ChannelCoordinator } from "../kernel/coordinator.ts";
import { InterceptorBase } from "../kernel/interceptor_base.ts";
import { silentLogger } from "../kernel/log.ts";
import { nodeSockets } from "../runtime/node_sockets.ts";
import type { DatagramSocket, SocketProvider } from "../runtime/sockets.ts";
import type { MembershipHarness, MembershipNode } from "../conformance/membership.ts";
import multicastPlugin, { type McastService } from "../../plugins/membership/multicast/mod.ts";
import { type StaticEntry, StaticMembershipService } from "../../plugins/membership/static/mod.ts";
import transportPlugin from "../../plugins/transport/pooled-parallel/mod.ts";
import { ManualClock } from "../kernel/manual_clock.ts";
import { loopbackReceiver, pluginInit, testComponents } from "./tcp_harness.ts";

/** Attributes of the multicast membership that a test sets. */
type MulticastAttributes = Partial<InitOf<typeof multicastPlugin.attributes>>;

/**
 * A socket provider whose datagrams can be cut off, as a crash or a pulled cable would, or held
 * back and released later, as a stalled event loop leaves them in the socket buffer.
 */
export function silenceable(): {
  sockets: SocketProvider;
  silence(): void;
  hold(): void;
  release(): void;
} {
  let silent = false;
  let held: (() => void)[] | undefined;
  const sockets: SocketProvider = {
    ...nodeSockets,
    name: "node:net (silenceable)",
    async bindDatagram(options) {
      const socket = await nodeSockets.bindDatagram(options);
      const wrapped: DatagramSocket = {
        address: socket.address,
        send: (bytes, port, host) => silent ? Promise.resolve() : socket.send(bytes, port, host),
        onMessage: (listener) =>
          socket.onMessage((b, from) => {
            if (silent) return;
            if (held) held.push(() => listener(b, from));
            else listener(b, from);
          }),
        close: () => socket.close(),
      };
      return wrapped;
    },
  };
  return {
    sockets,
    silence: () => silent = true,
    hold: () => held ??= [],
    release: () => {
      const queued = held ?? [];
      held = undefined;
      for (const deliver of queued) deliver();
    },
  };
}

/** A random multicast port in 46000..55999 and a domain of its own, so parallel runs never meet. */
export function isolatedGroup(): { port: number; domain: string } {
  const bytes = UniqueId.random().bytes;
  return {
    port: 46000 + ((bytes[0] << 8 | bytes[1]) % 10000),
    domain: `test-${UniqueId.random().hex.slice(0, 12)}`,
  };
}

/** One McastService on 127.0.0.1 (TTL 1) in `group`, advertising receiver port `port`. */
export async function multicastNode(
  clock: ManualClock,
  group: { port: number; domain: string },
  port: number,
  extra: MulticastAttributes = {},
): Promise<{ membership: McastService; net: ReturnType<typeof silenceable> }> {
  const net = silenceable();
  const membership = await multicastPlugin.create({
    address: "228.0.0.4",
    port: group.port,
    frequency: 500,
    dropTime: 3000,
    bind: "127.0.0.1",
    ttl: 1,
    domain: group.domain,
    localLoopbackDisabled: false,
    secret: "",
    recoveryCounter: 10,
    recoverySleepTime: 5000,
    ...extra,
  }, testComponents({ clock, sockets: net.sockets })) as McastService;
  membership.setLocalMemberProperties({ host: "127.0.0.1", port });
  return { membership, net };
}

/** Multicast membership on 127.0.0.1 (TTL 1), a fresh port and domain per harness. */
export function multicastHarness(extra: MulticastAttributes = {}): MembershipHarness {
  const clock = new ManualClock();
  const group = isolatedGroup();
  const nodes: MembershipNode[] = [];
  let port = 5000;
  return {
    clock,
    dropTime: 3000,
    async createNode() {
      const { membership, net } = await multicastNode(clock, group, port++, extra);
      const node = { membership, silence: net.silence };
      nodes.push(node);
      return node;
    },
    async teardown() {
      for (const node of nodes) await node.membership.stop(StartOptions.DEFAULT);
    },
  };
}

/** The top of a bare channel: swallows what reaches it. */
class Sink extends InterceptorBase {
  override messageReceived(): Promise<void> {
    return Promise.resolve();
  }
  override memberAdded(_member: Member): void {}
  override memberDisappeared(_member: Member): void {}
  override memberSuspected(_member: Member, _cause: Error): void {}
}

/** A membership that talks over the channel, with a real receiver and transport under it. */
export interface ChannelNode<M extends Membership> {
  membership: M;
  /** Where its receiver listens. */
  bound: { host: string; port: number };
  /** Stops receiver and transport: the node falls silent without a goodbye. */
  stopTransport(): Promise<void>;
}

/**
 * Builds a receiver on `address`:`port` (0: any free port) and a transport under a coordinator,
 * starts them, and hands `makeMembership` its components. The membership itself is not started.
 */
export async function channelNode<M extends Membership>(
  clock: ManualClock,
  jvmRoute: string,
  makeMembership: (components: Components) => M,
  address = "127.0.0.1",
  port = 0,
): Promise<ChannelNode<M>> {
  const components = testComponents({
    clock,
    localMember: { id: UniqueId.random(), jvmRoute },
  });
  const receiver = await loopbackReceiver(port, components, address);
  const transport = await transportPlugin.create(
    pluginInit(transportPlugin, { timeout: 1000 }),
    components,
  );
  const membership = makeMembership(components);
  // The suite sets its own listener on the membership; the coordinator wires the rest.
  const coordinator = new ChannelCoordinator(
    { receiver, sender: transport, membership },
    silentLogger(),
  );
  const sink = new Sink();
  coordinator[INTERCEPTOR_LINK](undefined, sink);
  sink[INTERCEPTOR_LINK](coordinator, undefined);
  const transportBits = StartOptions.SND_RX_SEQ | StartOptions.SND_TX_SEQ;
  await coordinator.start(transportBits);
  const bound = receiver.boundAddress as { host: string; port: number };
  return { membership, bound, stopTransport: () => coordinator.stop(transportBits) };
}

/**
 * Static membership: each node is a real receiver and transport on 127.0.0.1 under a
 * coordinator, and every node lists every other (the list grows as nodes are created).
 */
export function staticHarness(extra: { secret?: string } = {}): MembershipHarness {
  const clock = new ManualClock();
  const entries: StaticEntry[] = [];
  const nodes: ChannelNode<StaticMembershipService>[] = [];
  const domain = isolatedGroup().domain;
  return {
    clock,
    dropTime: 3000,
    async createNode() {
      const node = await channelNode(
        clock,
        `n${nodes.length + 1}`,
        (components) =>
          new StaticMembershipService({
            local: components.localMember,
            members: entries,
            frequency: 500,
            dropTime: 3000,
            domain,
            secret: undefined,
            clock,
            logger: components.logger,
            ...extra,
          }),
      );
      entries.push(node.bound);
      nodes.push(node);
      return { membership: node.membership, silence: node.stopTransport };
    },
    teardown: () => teardownChannelNodes(nodes),
  };
}

/** Stops every membership, then every receiver and transport. */
export async function teardownChannelNodes(nodes: ChannelNode<Membership>[]): Promise<void> {
  for (const node of nodes) await node.membership.stop(StartOptions.DEFAULT);
  for (const node of nodes) await node.stopTransport();
}
