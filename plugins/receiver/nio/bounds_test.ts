/**
 * What a peer can make a receiver hold is bounded (issue 14): connections (`maxConnections`),
 * bytes across connections (`maxBufferedBytes`), time to the first frame and to finish a frame
 * (`frameTimeout`, on the injected clock), and warn lines about bad input (one per code per 10 s).
 * Each test holds a bound past its limit, then shows an honest sender still gets through.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { afterEach, describe, it } from "node:test";
import { setImmediate } from "node:timers";
import { type ChannelMessage, SendOptions } from "../../../src/interfaces/message.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { attributeDefaults } from "../../../src/kernel/config/attributes.ts";
import { ManualClock } from "../../../src/kernel/manual_clock.ts";
import { captureLogger } from "../../../src/testing/capture_logger.ts";
import {
  pluginInit,
  tcpMember,
  testComponents,
  testTlsBlock,
} from "../../../src/testing/tcp_harness.ts";
import { encodeMessageHeader } from "../../../src/wire/envelope.ts";
import { encodeFrame } from "../../../src/wire/frame.ts";
import transportPlugin from "../../transport/pooled-parallel/mod.ts";
import receiverPlugin, { type NioReceiver } from "./mod.ts";

const KiB = 1024;
const self = tcpMember("127.0.0.1", 1, "raw-peer");
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startReceiver(attributes: Record<string, unknown> = {}, secret?: string) {
  const { logger, lines } = captureLogger();
  const clock = new ManualClock(Date.now());
  const got: ChannelMessage[] = [];
  const init = pluginInit(receiverPlugin, { port: 0, maxFrameSize: 256 * KiB, ...attributes });
  const components = testComponents({ logger, clock, channelSecret: secret });
  const receiver = await receiverPlugin.create(init, components) as NioReceiver;
  receiver.setHandler((m) => {
    got.push(m);
    return Promise.resolve();
  });
  await receiver.start();
  cleanups.push(() => receiver.stop());
  const port = receiver.boundAddress?.port as number;
  const warnings = (code: string) => lines.filter((l) => l.code === code && l.level === 40);
  return { receiver, clock, lines, got, port, warnings };
}

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn > 200_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Resolves once the receiver's holdings stayed the same for 50 turns (or `done`). */
async function settled(receiver: NioReceiver, done = () => false): Promise<void> {
  let last = "";
  let same = 0;
  await until(() => {
    const { bufferedBytes, waitingForBuffer, connections } = receiver.stats();
    const now = `${bufferedBytes}/${waitingForBuffer}/${connections}`;
    same = now === last ? same + 1 : 0;
    last = now;
    return done() || same >= 50;
  }, "the receiver to settle");
}

interface Held {
  socket: net.Socket;
  closed: boolean;
}

/** A raw connection that writes `bytes` and then holds the connection open. */
function hold(port: number, bytes?: Uint8Array): Promise<Held> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const held: Held = { socket, closed: false };
    socket.on("error", () => {});
    socket.on("close", () => held.closed = true);
    socket.on("connect", () => {
      if (bytes) socket.write(bytes, () => resolve(held));
      else resolve(held);
    });
    cleanups.push(() => socket.destroy());
  });
}

function msgFrame(seq: number, payload: Uint8Array): Uint8Array {
  return encodeFrame(encodeMessageHeader(seq, 0, Date.now(), UniqueId.random(), self), payload);
}

/** An honest send through a real transport; resolves once the receiver acknowledged it. */
async function honestSend(port: number, payload: Uint8Array): Promise<void> {
  const transport = await transportPlugin.create(
    { ...attributeDefaults(transportPlugin.attributes), maxFrameSize: 256 * KiB, timeout: 20_000 },
    testComponents(),
  );
  await transport.start();
  try {
    await transport.sendMessage({
      options: SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK,
      timestamp: Date.now(),
      uniqueId: UniqueId.random(),
      address: self,
      payload,
    }, [tcpMember("127.0.0.1", port)]);
  } finally {
    await transport.stop();
  }
}

describe("NioReceiver bounds on peers", () => {
  it("closes connections beyond maxConnections at once, counts them and logs one line", async () => {
    const rx = await startReceiver({ maxConnections: 8, frameTimeout: 60_000 });
    const held = await Promise.all(Array.from({ length: 30 }, () => hold(rx.port)));
    await until(() => held.filter((h) => h.closed).length === 22, "22 closed connections");
    const stats = rx.receiver.stats();
    assert.equal(stats.connections, 8);
    assert.equal(stats.errors.WIRE_ERR_CONNECTION_LIMIT, 22);
    assert.equal(rx.warnings("WIRE_ERR_CONNECTION_LIMIT").length, 1, "one warn line for 22");
    // Ten seconds on, the next refusal logs again and says how many lines were suppressed.
    await rx.clock.advance(10_000);
    const late = await hold(rx.port);
    await until(() => late.closed, "the late connection closed");
    const lines = rx.warnings("WIRE_ERR_CONNECTION_LIMIT");
    assert.equal(lines.length, 2);
    assert.equal(lines[1].suppressed, 21);
    // Held connections that sent nothing stay until frameTimeout; once gone, honest peers get in.
    for (const h of held) h.socket.destroy();
    await until(() => rx.receiver.stats().connections === 0, "the held connections closed");
    await honestSend(rx.port, new Uint8Array([42]));
    assert.equal(rx.got.at(-1)?.payload[0], 42);
  });

  it("counts connections in their channel handshake against maxConnections", async () => {
    const rx = await startReceiver({ maxConnections: 4 }, "bounds-secret-0123456789abcdef0123");
    const held = await Promise.all(Array.from({ length: 10 }, () => hold(rx.port)));
    await until(() => held.filter((h) => h.closed).length === 6, "6 closed connections");
    assert.equal(rx.receiver.stats().handshaking, 4);
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_CONNECTION_LIMIT, 6);
  });

  it("counts TLS connections, in their handshake or not, against maxConnections", async () => {
    const rx = await startReceiver({ maxConnections: 8, tls: testTlsBlock("node1") });
    const held = await Promise.all(Array.from({ length: 20 }, () => hold(rx.port)));
    await until(() => held.filter((h) => h.closed).length === 12, "12 closed connections");
    if ("Deno" in globalThis) {
      // Deno's node:net closes them but emits no "drop" event, so they cannot be counted.
      console.log("Deno: TLS connections beyond maxConnections are closed but not counted");
      assert.deepEqual(rx.receiver.stats().errors, {});
    } else {
      assert.deepEqual(rx.receiver.stats().errors, { WIRE_ERR_CONNECTION_LIMIT: 12 });
      assert.equal(rx.warnings("WIRE_ERR_CONNECTION_LIMIT").length, 1);
    }
    for (const h of held) h.socket.destroy();
  });

  it("stops reading half-sent frames beyond maxBufferedBytes; an honest frame waits, then gets through", async () => {
    // maxFrameSize 256 KiB, budget 512 KiB: a reserve of 16 KiB per connection, a pool of 256 KiB.
    const rx = await startReceiver({ maxConnections: 16, maxBufferedBytes: 512 * KiB });
    const half = msgFrame(1, new Uint8Array(250 * KiB)).subarray(0, 200 * KiB);
    const attackers: Held[] = [];
    for (let i = 0; i < 6; i++) attackers.push(await hold(rx.port, half));
    await until(() => rx.receiver.stats().waitingForBuffer > 0, "a connection waiting for room");
    await settled(rx.receiver);
    const held = rx.receiver.stats().bufferedBytes;
    assert.ok(held < 6 * half.length, `held ${held} of ${6 * half.length} bytes sent`);
    // Beyond the budget: at most the one read chunk (64 KiB) of each connection that went over.
    assert.ok(held <= 512 * KiB + 6 * 64 * KiB, `held ${held}`);
    // Small frames from an honest peer fit in its reserve and pass while the pool is spent.
    await honestSend(rx.port, new Uint8Array([1]));
    assert.equal(rx.got.at(-1)?.payload[0], 1);
    // A whole 250 KiB frame needs the pool: it waits until the half frames time out.
    let delivered = false;
    const waiting = rx.receiver.stats().waitingForBuffer;
    const big = honestSend(rx.port, new Uint8Array(250 * KiB).fill(7)).then(() => delivered = true);
    await until(() => rx.receiver.stats().waitingForBuffer > waiting, "the honest frame waiting");
    assert.equal(delivered, false);
    // Each frameTimeout cuts the half frames whose time is up; a connection that waited for room
    // gets a fresh deadline, so the honest frame outlives them all.
    for (let round = 0; round < 6 && !delivered; round++) {
      await rx.clock.advance(10_000);
      await settled(rx.receiver, () => delivered);
    }
    await big;
    assert.equal(rx.got.at(-1)?.payload.length, 250 * KiB);
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_FRAME_TIMEOUT, 6);
    await until(() => attackers.every((a) => a.closed), "every half frame cut");
    await until(() => rx.receiver.stats().bufferedBytes === 0, "the budget released");
  });

  it("cuts a connection that sends nothing within frameTimeout", async () => {
    const rx = await startReceiver({ frameTimeout: 5000 });
    const idle = await hold(rx.port);
    await until(() => rx.receiver.stats().connections === 1, "the connection accepted");
    await rx.clock.advance(4999);
    assert.equal(idle.closed, false);
    await rx.clock.advance(1);
    await until(() => idle.closed, "the idle connection cut");
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_FRAME_TIMEOUT, 1);
    assert.equal(rx.warnings("WIRE_ERR_FRAME_TIMEOUT").length, 1);
  });

  it("cuts a connection that starts a frame and stops, but keeps an idle one whose frames were whole", async () => {
    const rx = await startReceiver({ frameTimeout: 5000 });
    const frame = msgFrame(2, new Uint8Array(100));
    const slow = await hold(rx.port, msgFrame(1, new Uint8Array([1])));
    const quiet = await hold(rx.port, msgFrame(1, new Uint8Array([2])));
    await until(() => rx.got.length === 2, "both first frames");
    const bytesHeld = (n: number) => () => rx.receiver.stats().bufferedBytes === n;
    slow.socket.write(frame.subarray(0, 10));
    await until(bytesHeld(10), "the first bytes read");
    await rx.clock.advance(3000);
    // The rest of a frame arriving later than frameTimeout after its start does not save it.
    slow.socket.write(frame.subarray(10, 50));
    await until(bytesHeld(50), "more bytes read");
    await rx.clock.advance(2000);
    await until(() => slow.closed, "the slow connection cut");
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_FRAME_TIMEOUT, 1);
    await rx.clock.advance(60_000);
    assert.equal(quiet.closed, false, "an idle connection between whole frames stays");
    assert.equal(rx.receiver.stats().connections, 1);
  });

  it("answers a flood of junk connections with counts and one warn line per code", async () => {
    const rx = await startReceiver({ maxConnections: 64 });
    const junk = crypto.getRandomValues(new Uint8Array(1024));
    junk[0] = 0x7f; // a length prefix far above maxFrameSize
    for (let batch = 0; batch < 5; batch++) {
      const sent = await Promise.all(Array.from({ length: 40 }, () => hold(rx.port, junk)));
      await until(() => sent.every((h) => h.closed), "the batch closed");
    }
    assert.equal(rx.receiver.stats().errors.WIRE_ERR_FRAME_TOO_LARGE, 200);
    assert.equal(rx.warnings("WIRE_ERR_FRAME_TOO_LARGE").length, 1);
    await honestSend(rx.port, new Uint8Array([9]));
    assert.equal(rx.got.at(-1)?.payload[0], 9);
  });

  it("refuses a maxBufferedBytes too small for one whole frame", async () => {
    await assert.rejects(
      Promise.resolve().then(() =>
        receiverPlugin.create({
          ...attributeDefaults(receiverPlugin.attributes),
          maxFrameSize: 1024 * KiB,
          maxBufferedBytes: 1024 * KiB,
        }, testComponents())
      ),
      (error: Error & { code?: string }) => error.code === "CONFIG_ERR_RANGE",
    );
  });
});

describe("NioReceiver processing order", () => {
  it("counts a failed message whose sender asked for no synchronized ack, and processes the next", async () => {
    const init = pluginInit(receiverPlugin, { port: 0, maxFrameSize: 256 * KiB });
    const receiver = await receiverPlugin.create(init, testComponents()) as NioReceiver;
    const processed: number[] = [];
    receiver.setHandler((m) => {
      processed.push(m.payload[0]);
      if (m.payload[0] === 1) return Promise.reject(new Error("listener failed"));
      if (m.payload[0] === 2) throw new Error("listener threw");
      return Promise.resolve();
    });
    await receiver.start();
    cleanups.push(() => receiver.stop());
    const port = receiver.boundAddress?.port as number;
    const transport = await transportPlugin.create(
      { ...attributeDefaults(transportPlugin.attributes), maxFrameSize: 256 * KiB },
      testComponents(),
    );
    await transport.start();
    cleanups.push(() => transport.stop());
    const send = (tag: number, options: number) =>
      transport.sendMessage({
        options,
        timestamp: Date.now(),
        uniqueId: UniqueId.random(),
        address: self,
        payload: new Uint8Array([tag]),
      }, [tcpMember("127.0.0.1", port)]);
    await send(1, SendOptions.USE_ACK);
    await send(2, SendOptions.USE_ACK);
    await send(3, SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK);
    assert.deepEqual(processed, [1, 2, 3]);
    assert.deepEqual(receiver.stats().processingErrors, { ERROR: 2 });
  });
});
