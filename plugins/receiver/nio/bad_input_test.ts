/**
 * A receiver answers bad bytes by closing only the offending connection, with a coded error that
 * is logged and counted; the node and its other connections keep working.
 */
import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { afterEach, describe, it } from "node:test";
import { Encoder } from "cbor-x";
import { type ChannelMessage, SendOptions } from "../../../src/interfaces/message.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { attributeDefaults } from "../../../src/kernel/config/attributes.ts";
import { captureLogger } from "../../../src/testing/capture_logger.ts";
import { tcpMember, testComponents, testTlsBlock } from "../../../src/testing/tcp_harness.ts";
import { decodeHeader, encodeMessageHeader, FrameType } from "../../../src/wire/envelope.ts";
import { encodeFrame, FrameDecoder } from "../../../src/wire/frame.ts";
import transportPlugin from "../../transport/pooled-parallel/mod.ts";
import receiverPlugin, { type NioReceiver } from "./mod.ts";

const cbor = new Encoder({ useRecords: false });
const self = tcpMember("127.0.0.1", 1, "raw-peer");

async function startReceiver(options: { tls?: boolean; maxFrameSize?: number } = {}) {
  const { logger, lines } = captureLogger();
  const got: ChannelMessage[] = [];
  const receiver = await receiverPlugin.create({
    ...attributeDefaults(receiverPlugin.attributes),
    address: "127.0.0.1",
    port: 0,
    autoBind: 1,
    maxFrameSize: options.maxFrameSize ?? 1024 * 1024,
    timeout: 3000,
    tls: options.tls ? testTlsBlock("node1") : undefined,
  }, testComponents({ logger })) as NioReceiver;
  receiver.setHandler((m) => {
    got.push(m);
    return Promise.resolve();
  });
  await receiver.start();
  const port = receiver.boundAddress?.port as number;
  return { receiver, lines, got, port };
}

function msgFrame(seq: number, payload: number[], withMember = true, options = 0): Uint8Array {
  const header = encodeMessageHeader(
    seq,
    options,
    Date.now(),
    UniqueId.random(),
    withMember ? self : undefined,
  );
  return encodeFrame(header, Uint8Array.from(payload));
}

/** Connects, writes `bytes`, and resolves with what came back once the receiver closed. */
function exchange(port: number, bytes: Uint8Array, end = false): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.write(bytes);
      if (end) socket.end();
    });
    const back: Uint8Array[] = [];
    socket.on("data", (d) => back.push(d));
    socket.on("error", () => {});
    socket.on("close", () => resolve(Uint8Array.from(back.flatMap((b) => [...b]))));
  });
}

/** A healthy send through a real transport, to show the receiver still works. */
async function stillServes(port: number, got: ChannelMessage[]): Promise<void> {
  const transport = await transportPlugin.create(
    attributeDefaults(transportPlugin.attributes),
    testComponents(),
  );
  await transport.start();
  try {
    const before = got.length;
    await transport.sendMessage({
      options: SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK,
      timestamp: Date.now(),
      uniqueId: UniqueId.random(),
      address: self,
      payload: new Uint8Array([42]),
    }, [tcpMember("127.0.0.1", port)]);
    assert.equal(got.length, before + 1);
    assert.equal(got[before].payload[0], 42);
  } finally {
    await transport.stop();
  }
}

function loggedCode(lines: Record<string, unknown>[], code: string): boolean {
  return lines.some((l) => l.code === code && l.level === 40);
}

describe("NioReceiver under bad input", () => {
  let receiver: NioReceiver | undefined;
  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
  });

  it("closes a connection that sends random bytes, and keeps serving", async () => {
    const rx = await startReceiver();
    receiver = rx.receiver;
    // 0x7f... as a length prefix: far above maxFrameSize whatever follows.
    const noise = crypto.getRandomValues(new Uint8Array(4096));
    noise[0] = 0x7f;
    await exchange(rx.port, noise);
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_FRAME_TOO_LARGE, 1);
    assert.ok(loggedCode(rx.lines, "WIRE_ERR_FRAME_TOO_LARGE"));
    await stillServes(rx.port, rx.got);
  });

  it("refuses a 4 GiB length prefix without allocating it", async () => {
    const rx = await startReceiver();
    receiver = rx.receiver;
    await exchange(rx.port, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 1]));
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_FRAME_TOO_LARGE, 1);
    assert.equal(rx.got.length, 0);
    await stillServes(rx.port, rx.got);
  });

  it("closes on a valid frame with a garbage envelope, after delivering the good frame before it", async () => {
    const rx = await startReceiver();
    receiver = rx.receiver;
    const garbage = encodeFrame(cbor.encode({ not: "an envelope" }), new Uint8Array([1]));
    await exchange(rx.port, Uint8Array.from([...msgFrame(1, [7]), ...garbage]));
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_MALFORMED, 1);
    assert.deepEqual(rx.got.map((m) => m.payload[0]), [7]);
    assert.ok(rx.got[0].address.id.equals(self.id));
    await stillServes(rx.port, rx.got);
  });

  it("refuses a first message that names no member", async () => {
    const rx = await startReceiver();
    receiver = rx.receiver;
    await exchange(rx.port, msgFrame(1, [1], false));
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_MALFORMED, 1);
    assert.equal(rx.got.length, 0);
  });

  it("drops a truncated frame when the peer dies mid-frame", async () => {
    const rx = await startReceiver();
    receiver = rx.receiver;
    const frame = msgFrame(1, Array.from({ length: 500 }, (_, i) => i & 0xff));
    await exchange(rx.port, frame.subarray(0, 300), true);
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_TRUNCATED, 1);
    assert.ok(loggedCode(rx.lines, "WIRE_ERR_TRUNCATED"));
    assert.equal(rx.got.length, 0);
    await stillServes(rx.port, rx.got);
  });

  it("answers an unknown envelope version with the versions it reads, then closes", async () => {
    const rx = await startReceiver();
    receiver = rx.receiver;
    const back = await exchange(rx.port, encodeFrame(cbor.encode([9, 1, 1])));
    const headers: unknown[] = [];
    new FrameDecoder(1024, (h) => headers.push(decodeHeader(h))).push(back);
    assert.deepEqual(headers, [{ type: FrameType.VERSION, versions: [1] }]);
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_VERSION, 1);
  });

  it("names a TLS client hello sent to a plain receiver", async () => {
    const rx = await startReceiver();
    receiver = rx.receiver;
    await new Promise<void>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: rx.port, rejectUnauthorized: false });
      socket.on("error", () => {});
      socket.on("close", () => resolve());
    });
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_TLS_EXPECTED, 1);
    await stillServes(rx.port, rx.got);
  });

  it("names plain bytes sent to a TLS receiver", async () => {
    const rx = await startReceiver({ tls: true });
    receiver = rx.receiver;
    await exchange(rx.port, msgFrame(1, [1]));
    const errors = rx.receiver.stats().errors;
    assert.equal(errors.WIRE_ERR_TLS_EXPECTED, 1, JSON.stringify(errors));
    assert.equal(rx.got.length, 0);
  });
});

describe("NioReceiver over mutual TLS", () => {
  it("refuses a member whose jvmRoute is not the name in its certificate", async () => {
    const rx = await startReceiver({ tls: true });
    try {
      const sender = await transportPlugin.create({
        ...attributeDefaults(transportPlugin.attributes),
        tls: testTlsBlock("node2"),
      }, testComponents());
      await sender.start();
      const impostor = tcpMember("127.0.0.1", 1, "node3"); // presents node2's certificate
      const error = await sender.sendMessage({
        options: SendOptions.USE_ACK,
        timestamp: Date.now(),
        uniqueId: UniqueId.random(),
        address: impostor,
        payload: new Uint8Array([1]),
      }, [tcpMember("127.0.0.1", rx.port)]).then(() => undefined, (e) => e);
      await sender.stop();
      assert.ok(error instanceof Error, "the send fails");
      assert.equal(rx.got.length, 0);
      assert.equal(rx.receiver.stats().errors.WIRE_ERR_IDENTITY, 1);
    } finally {
      await rx.receiver.stop();
    }
  });
});
