/**
 * A receiver with a membership secret: only a transport holding the same secret gets a message
 * through; anything else is closed, counted by code, and never reaches the handler.
 */
import assert from "node:assert/strict";
import { attributeDefaults } from "../../../src/kernel/config/attributes.ts";
import { afterEach, describe, it } from "node:test";
import { setImmediate } from "node:timers";
import type { ChannelMessage } from "../../../src/interfaces/message.ts";
import { SendOptions } from "../../../src/interfaces/message.ts";
import type { Sender } from "../../../src/interfaces/transport.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { systemClock } from "../../../src/kernel/clock.ts";
import { nodeSockets } from "../../../src/runtime/node_sockets.ts";
import type { StreamSocket } from "../../../src/runtime/sockets.ts";
import { captureLogger } from "../../../src/testing/capture_logger.ts";
import { tcpMember, testComponents } from "../../../src/testing/tcp_harness.ts";
import { encodeMessageHeader } from "../../../src/wire/envelope.ts";
import { encodeFrame } from "../../../src/wire/frame.ts";
import {
  channelSecurity,
  dialSecure,
  MAX_PENDING_HANDSHAKES,
} from "../../../src/wire/secure/channel_security.ts";
import transportPlugin from "../../transport/pooled-parallel/mod.ts";
import receiverPlugin, { type NioReceiver } from "./mod.ts";

const SECRET = "receiver-secret-0123456789abcdef0123456789";
const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;
const stops: { stop(): Promise<void> }[] = [];
const sockets: StreamSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const part of stops.splice(0).reverse()) await part.stop();
});

async function startReceiver() {
  const { logger, lines } = captureLogger();
  const id = UniqueId.random();
  const got: ChannelMessage[] = [];
  const receiver = await receiverPlugin.create(
    {
      ...attributeDefaults(receiverPlugin.attributes),
      address: "127.0.0.1",
      port: 0,
      autoBind: 1,
      maxFrameSize: 1 << 20,
      timeout: 3000,
    },
    testComponents({ logger, channelSecret: SECRET, localMember: { id, jvmRoute: "r" } }),
  ) as NioReceiver;
  receiver.setHandler((message) => {
    got.push(message);
    return Promise.resolve();
  });
  await receiver.start();
  stops.push(receiver);
  const port = receiver.boundAddress?.port as number;
  return { receiver, got, lines, member: { ...tcpMember("127.0.0.1", port), id } };
}

async function startSender(secret: string, id = UniqueId.random()): Promise<Sender> {
  const sender = await transportPlugin.create(
    { ...attributeDefaults(transportPlugin.attributes), maxRetryAttempts: 0 },
    testComponents({ channelSecret: secret, localMember: { id, jvmRoute: "s" } }),
  );
  await sender.start();
  stops.push(sender);
  return sender;
}

function message(from: UniqueId, payload: number[]): ChannelMessage {
  return {
    options: SYNC | SendOptions.BYTE_MESSAGE,
    timestamp: Date.now(),
    uniqueId: UniqueId.random(),
    address: { ...tcpMember("127.0.0.1", 1), id: from },
    payload: Uint8Array.from(payload),
  };
}

async function connect(port: number): Promise<StreamSocket> {
  const socket = await nodeSockets.connect({ host: "127.0.0.1", port, timeoutMs: 3000 });
  sockets.push(socket);
  return socket;
}

/** Lets I/O run, turn by turn, until `done` holds (the receiver's side of a close is an event there). */
async function turnsUntil(done: () => boolean): Promise<void> {
  for (let turn = 0; !done(); turn++) {
    if (turn > 100_000) throw new Error("the receiver never counted the closed connection");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const closedSocket = (socket: StreamSocket) =>
  new Promise<void>((resolve) => socket.onClose(() => resolve()));

describe("NioReceiver with a membership secret", () => {
  it("takes messages from a transport with the same secret, as the member it proved", async () => {
    const { got, member } = await startReceiver();
    const id = UniqueId.random();
    const sender = await startSender(SECRET, id);
    for (let i = 0; i < 20; i++) await sender.sendMessage(message(id, [i]), [member]);
    assert.deepEqual(got.map((m) => m.payload[0]), [...Array(20).keys()]);
    assert.ok(got.every((m) => m.address.id.equals(id)));
  });

  it("refuses a transport with another secret, and counts it", async () => {
    const { receiver, got, member } = await startReceiver();
    const id = UniqueId.random();
    const sender = await startSender(`${SECRET}-other`, id);
    await assert.rejects(
      sender.sendMessage(message(id, [1]), [member]),
      (error: { faultyMembers?: { error: { code?: string } }[] }) =>
        error.faultyMembers?.[0].error.code === "CHANNEL_ERR_HANDSHAKE",
    );
    assert.equal(got.length, 0);
    assert.equal(receiver.stats().errors.CHANNEL_ERR_HANDSHAKE, 1);
  });

  it("counts a connection closed before any byte (a reachability probe) without a warning", async () => {
    const { receiver, member, lines } = await startReceiver();
    const probe = await connect(member.port);
    probe.destroy();
    await turnsUntil(() => receiver.stats().errors.CHANNEL_ERR_HANDSHAKE === 1);
    const about = lines.filter((l) => /before any handshake byte/.test(String(l.err)));
    assert.deepEqual(about.map((l) => l.level), [20]); // debug, not warn
  });

  it("closes a plain frame at once, and nothing reaches the handler", async () => {
    const { receiver, got, member } = await startReceiver();
    const socket = await connect(member.port);
    const closed = closedSocket(socket);
    const header = encodeMessageHeader(1, SYNC, Date.now(), UniqueId.random(), member);
    socket.write(encodeFrame(header, new Uint8Array(100)));
    await closed;
    assert.equal(got.length, 0);
    assert.equal(receiver.stats().errors.CHANNEL_ERR_HANDSHAKE, 1);
  });

  it(`holds at most ${MAX_PENDING_HANDSHAKES} connections in their handshake`, async () => {
    const { receiver, member } = await startReceiver();
    for (let i = 0; i < MAX_PENDING_HANDSHAKES; i++) await connect(member.port);
    const extra = await connect(member.port);
    await closedSocket(extra);
    assert.equal(receiver.stats().errors.CHANNEL_ERR_HANDSHAKE_LIMIT, 1);
  });

  it("closes a connection whose record fails its check, and counts it", async () => {
    const { receiver, got, member } = await startReceiver();
    const raw = await connect(member.port);
    const id = UniqueId.random();
    await dialSecure(raw, channelSecurity(SECRET, id, systemClock), member.id, 3000);
    const closed = closedSocket(raw);
    raw.write(Uint8Array.of(0, 20, ...new Uint8Array(20))); // a record no key sealed
    await closed;
    assert.equal(got.length, 0);
    assert.equal(receiver.stats().errors.CHANNEL_ERR_RECORD, 1);
  });
});
