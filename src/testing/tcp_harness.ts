/**
 * Conformance harnesses for the TCP and TLS transport on loopback.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AttributeSchema, InitOf } from "../interfaces/attributes.ts";
import type { Member } from "../interfaces/member.ts";
import type { Components } from "../interfaces/plugin.ts";
import type { Receiver, Sender } from "../interfaces/transport.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { systemClock } from "../kernel/clock.ts";
import { attributeDefaults } from "../kernel/config/attributes.ts";
import { silentLogger } from "../kernel/log.ts";
import type { TlsMaterial } from "../runtime/sockets.ts";
import type { TransportHarness } from "../conformance/transport.ts";
import receiverPlugin from "../../plugins/receiver/nio/mod.ts";
import senderPlugin from "../../plugins/sender/replication-transmitter/mod.ts";
import transportPlugin from "../../plugins/transport/pooled-parallel/mod.ts";

/** The repository's test-only certificates (`certs/`). */
export const TEST_CERTS = join(dirname(fileURLToPath(import.meta.url)), "../../certs");

/** A `tls` block for test node `name` (node1, node2, node3, intruder, expired). */
export function testTlsBlock(name: string, requireClientCert = true): Record<string, unknown> {
  const ca = name === "intruder" ? "other-ca.pem" : "ca.pem";
  return { cert: `${name}.pem`, key: `${name}.key`, ca, requireClientCert };
}

/** The same, already read. */
export function testTls(name: string, requireClientCert = true): TlsMaterial {
  const block = testTlsBlock(name, requireClientCert);
  const read = (file: unknown) => readFileSync(join(TEST_CERTS, file as string), "utf8");
  return { cert: read(block.cert), key: read(block.key), ca: read(block.ca), requireClientCert };
}

/** Components for a plugin built outside a node. */
export function testComponents(overrides: Partial<Components> = {}): Components {
  return {
    logger: silentLogger(),
    clock: systemClock,
    baseDir: TEST_CERTS,
    localMember: { id: UniqueId.random(), jvmRoute: "" },
    ...overrides,
  };
}

/** A plugin's attributes with their defaults, then `overrides`: what the kernel would pass. */
export function pluginInit<S extends AttributeSchema>(
  plugin: { attributes: S },
  overrides: Record<string, unknown> = {},
): InitOf<S> {
  return { ...attributeDefaults(plugin.attributes), ...overrides } as InitOf<S>;
}

/** A member record for a receiver at host:port. */
export function tcpMember(host: string, port: number, jvmRoute = ""): Member {
  return {
    id: UniqueId.random(),
    name: `tcp://${host}:${port}`,
    host,
    port,
    jvmRoute,
    domain: "",
    ready: true,
    payload: new Uint8Array(0),
  };
}

/** A NioReceiver on 127.0.0.1 or another loopback `address` (port 0: any free one), not started. */
export function loopbackReceiver(
  port = 0,
  components = testComponents(),
  address = "127.0.0.1",
): Promise<Receiver> {
  return Promise.resolve(
    receiverPlugin.create({
      ...attributeDefaults(receiverPlugin.attributes),
      address,
      port,
      autoBind: 1,
      maxFrameSize: 1 << 20,
      timeout: 3000,
    }, components),
  );
}

/** Which sender to build: the transport alone, or ReplicationTransmitter around it. */
export type SenderShape = "transport" | "transmitter";

/**
 * Receiver and sender harness on 127.0.0.1; with `tls`, every receiver requires a client
 * certificate and every sender presents one (mutual TLS).
 */
export function tcpTransportHarness(
  options: { tls?: boolean; sender?: SenderShape; overrides?: Partial<Components> } = {},
): TransportHarness {
  const started: { stop(): Promise<void> }[] = [];
  const members = new Map<Receiver, Member>();
  const tls = options.tls ?? false;
  const components = () => testComponents(options.overrides);
  let closedPort = 0;
  return {
    // Over mutual TLS a member must be named as its certificate is (the sender presents node2's).
    self: tcpMember("127.0.0.1", 1, tls ? "node2" : "self"),
    async receiver(init) {
      const receiver = await receiverPlugin.create({
        ...attributeDefaults(receiverPlugin.attributes),
        address: "127.0.0.1",
        port: init?.port ?? 0,
        autoBind: 100,
        maxFrameSize: 32 * 1024 * 1024,
        timeout: 3000,
        tls: tls ? testTlsBlock("node1") : undefined,
      }, components());
      started.push(receiver);
      return receiver;
    },
    async sender(): Promise<Sender> {
      const attributes = attributeDefaults(transportPlugin.attributes);
      if (tls) attributes.tls = testTlsBlock("node2");
      const sender = options.sender === "transmitter"
        ? await senderPlugin.create({ tls: attributes.tls }, components())
        : await transportPlugin.create(attributes, components());
      started.push(sender);
      return sender;
    },
    memberFor(receiver) {
      const bound = receiver.boundAddress;
      if (!bound) throw new Error("The receiver is not started");
      let member = members.get(receiver);
      if (!member || member.port !== bound.port) {
        members.set(receiver, member = tcpMember(bound.host, bound.port));
      }
      return member;
    },
    unreachable() {
      // Port 1 on loopback: privileged, never listened on by tests, refused at once.
      closedPort = 1;
      return tcpMember("127.0.0.1", closedPort);
    },
    async teardown() {
      for (const s of started.splice(0).reverse()) await s.stop();
    },
  };
}
