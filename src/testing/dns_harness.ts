/**
 * DNS membership on loopback for tests: nodes with real receivers and transports, found through a
 * real dnsmasq whose records the test changes, on a manual clock.
 *
 * With A records every node listens on the same port at an address of its own in a random
 * 127.X.Y.0/24 (all of 127/8 is loopback on Linux), so parallel test files never meet; with SRV
 * records every node listens on 127.0.0.1 at a port of its own.
 *
 * @module
 */
import type { InitOf } from "../interfaces/attributes.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import type { MembershipHarness } from "../conformance/membership.ts";
import dnsPlugin, { type DnsMembershipService } from "../../plugins/membership/dns/mod.ts";
import { type AddressRecord, Dnsmasq, type SrvRecord } from "./dnsmasq.ts";
import { ManualClock } from "../kernel/manual_clock.ts";
import {
  type ChannelNode,
  channelNode,
  isolatedGroup,
  teardownChannelNodes,
} from "./membership_harness.ts";
import { pluginInit } from "./tcp_harness.ts";

export interface DnsHarnessOptions {
  /** Look up SRV records (address and port) instead of A records. */
  srv?: boolean;
  /** With A records, name the shared port in `port` rather than leave it to each receiver. */
  explicitPort?: boolean;
  /** Attributes for every node's DnsMembershipService (`secret`, `refresh` ...). */
  attributes?: Record<string, unknown>;
}

/** One node of a DNS harness. */
export interface DnsNode extends ChannelNode<DnsMembershipService> {
  /** Its A (or SRV) record, published or not. */
  record: AddressRecord | SrvRecord;
}

export const REFRESH = 1000;

/** A random /24 inside 127/8 (never 127.0.0.0/24): `address(n)` is its host n. */
export function loopbackBlock(): (n: number) => string {
  const [a, b] = UniqueId.random().bytes;
  const prefix = `127.${1 + (a % 254)}.${b}`;
  return (n) => `${prefix}.${n}`;
}

/** A harness with its DNS server and a way to publish and withdraw each node's record. */
export interface DnsHarness extends MembershipHarness {
  /** The name every node looks up. */
  readonly dnsName: string;
  /** The DNS server, once the first node was created. */
  readonly server: Dnsmasq | undefined;
  readonly nodes: readonly DnsNode[];
  /**
   * Creates a node whose record is not published yet, with extra membership attributes, at a
   * loopback `address` of its own unless one is given (`::1` for IPv6).
   */
  addNode(attributes?: Record<string, unknown>, address?: string): Promise<DnsNode>;
  /** Makes the DNS answer exactly these nodes' records (and waits until dnsmasq serves them). */
  publish(nodes: readonly DnsNode[]): Promise<void>;
  /** Membership attributes a node created in this harness gets. */
  attributesFor(extra?: Record<string, unknown>): InitOf<typeof dnsPlugin.attributes>;
}

/**
 * DNS membership where `createNode` publishes every node created so far (the conformance suite's
 * view: each node is in the answer as soon as it exists), and `addNode` leaves publishing to the
 * test.
 */
export function dnsHarness(options: DnsHarnessOptions = {}): DnsHarness {
  const clock = new ManualClock();
  const zone = `c${UniqueId.random().hex.slice(0, 10)}.test`;
  const dnsName = options.srv ? `_conclave._tcp.${zone}` : `members.${zone}`;
  const address = loopbackBlock();
  // With A records the port is shared: pick one, at random, that the random /24 leaves free.
  const sharedPort = 20000 + Math.floor(Math.random() * 10000);
  const domain = isolatedGroup().domain;
  const nodes: DnsNode[] = [];
  let server: Dnsmasq | undefined;

  const attributesFor = (extra: Record<string, unknown> = {}) =>
    pluginInit(dnsPlugin, {
      dnsName,
      srv: options.srv ?? false,
      refresh: REFRESH,
      dnsServers: [server!.server],
      frequency: 500,
      dropTime: 3000,
      domain,
      ...(options.explicitPort && !options.srv ? { port: sharedPort } : {}),
      ...options.attributes,
      ...extra,
    });

  const harness: DnsHarness = {
    clock,
    dropTime: 3000,
    dnsName,
    get server() {
      return server;
    },
    nodes,
    attributesFor,
    async addNode(extra = {}, at?: string) {
      server ??= await Dnsmasq.start();
      const n = nodes.length + 2;
      const node = await channelNode(
        clock,
        `n${n}`,
        (components) => dnsPlugin.create(attributesFor(extra), components) as DnsMembershipService,
        at ?? (options.srv ? "127.0.0.1" : address(n)),
        options.srv ? 0 : sharedPort,
      );
      const record = options.srv
        ? { name: dnsName, target: `n${n}.${zone}`, port: node.bound.port }
        : { name: dnsName, address: node.bound.host };
      const dnsNode = { ...node, record };
      nodes.push(dnsNode);
      return dnsNode;
    },
    async publish(published) {
      if (!server) throw new Error("publish() before any node was created");
      if (!options.srv) {
        await server.setAddresses(published.map((n) => n.record as AddressRecord));
        return;
      }
      // SRV targets are names: each node's name has an A record for 127.0.0.1.
      const srv = published.map((n) => n.record as SrvRecord);
      await server.setAddresses(srv.map((r) => ({ name: r.target, address: "127.0.0.1" })));
      await server.setSrv(srv);
    },
    async createNode() {
      const node = await harness.addNode();
      await harness.publish(nodes);
      return { membership: node.membership, silence: node.stopTransport };
    },
    async teardown() {
      await teardownChannelNodes(nodes);
      await server?.stop();
    },
  };
  return harness;
}
