/**
 * The transport under faults: a peer that never reads, a peer that never acknowledges, a peer
 * that restarts on the same port.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { setImmediate } from "node:timers";
import { afterEach, describe, it } from "node:test";
import type { InitOf } from "../../../src/interfaces/attributes.ts";
import { type ChannelMessage, SendOptions } from "../../../src/interfaces/message.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import type { ConclaveError } from "../../../src/errors.ts";
import { attributeDefaults } from "../../../src/kernel/config/attributes.ts";
import { SendError } from "../../../src/kernel/send_error.ts";
import { ManualClock } from "../../../src/kernel/manual_clock.ts";
import { loopbackReceiver, tcpMember, testComponents } from "../../../src/testing/tcp_harness.ts";
import transportPlugin, { type PooledParallelSender } from "./mod.ts";

const self = tcpMember("127.0.0.1", 1, "faults");

function message(payload: Uint8Array, options: number): ChannelMessage {
  return { options, timestamp: Date.now(), uniqueId: UniqueId.random(), address: self, payload };
}

function transport(
  clock = new ManualClock(),
  attributes: Partial<InitOf<typeof transportPlugin.attributes>> = {},
) {
  const init = attributeDefaults(transportPlugin.attributes);
  return transportPlugin.create({ ...init, ...attributes }, testComponents({ clock })) as Promise<
    PooledParallelSender
  >;
}

/** A TCP server that accepts and never reads a byte. */
async function deafServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.pause();
    s.on("error", () => {});
    sockets.push(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

async function receiverAt(port: number) {
  const got: ChannelMessage[] = [];
  const receiver = await loopbackReceiver(port);
  receiver.setHandler((m) => {
    got.push(m);
    return Promise.resolve();
  });
  await receiver.start();
  return { receiver, got, member: tcpMember("127.0.0.1", receiver.boundAddress?.port as number) };
}

function faultCode(error: unknown): string | undefined {
  return error instanceof SendError
    ? (error.faultyMembers[0].error as ConclaveError).code
    : undefined;
}

/** Checks `predicate` after each turn of I/O until it holds (socket events drive it). */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200_000; i++) {
    if (predicate()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`never saw ${what}`);
}

describe("PooledParallelSender under faults", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it("cuts off a peer that stops reading once its buffer stays full for `timeout`", async () => {
    const clock = new ManualClock();
    const deaf = await deafServer();
    cleanup.push(deaf.close);
    const sender = await transport(clock, { maxQueuedBytes: 1 << 20, timeout: 3000 });
    await sender.start();
    cleanup.push(() => sender.stop());
    const to = tcpMember("127.0.0.1", deaf.port);
    const payload = new Uint8Array(256 * 1024);
    const outcomes: unknown[] = [];
    // 64 MiB: far more than loopback socket buffers hold, so the writer must block.
    const sends = Array.from(
      { length: 256 },
      () =>
        sender.sendMessage(message(payload, 0), [to]).then(
          () => outcomes.push("sent"),
          (e) => outcomes.push(e),
        ),
    );
    await until(() => outcomes.length > 0 && clock.pending > 0, "the writer blocking");
    const written = outcomes.length;
    assert.ok(written < sends.length, "not everything could be written");
    await clock.advance(3000);
    await Promise.all(sends);
    const failures = outcomes.filter((o) => o !== "sent");
    assert.ok(failures.length > 0);
    const codes = new Set(failures.map(faultCode));
    assert.ok(
      codes.has("SEND_ERR_PEER_NOT_READING"),
      `cut off as not reading: ${[...codes].join(", ")}`,
    );
    // The member that does read is unaffected by the deaf one.
    const good = await receiverAt(0);
    cleanup.push(() => good.receiver.stop());
    await sender.sendMessage(message(new Uint8Array([5]), SendOptions.USE_ACK), [good.member]);
    assert.equal(good.got.length, 1);
  });

  it("fails an unacknowledged send after `timeout`, naming the member", async () => {
    const clock = new ManualClock();
    const deaf = await deafServer();
    cleanup.push(deaf.close);
    const sender = await transport(clock, { timeout: 3000 });
    await sender.start();
    cleanup.push(() => sender.stop());
    const to = tcpMember("127.0.0.1", deaf.port);
    let outcome: unknown;
    const send = sender.sendMessage(message(new Uint8Array([1]), SendOptions.USE_ACK), [to])
      .then(() => outcome = "acked", (e) => outcome = e);
    await until(() => clock.pending > 0, "the ack timer");
    await clock.advance(2999);
    assert.equal(outcome, undefined, "still waiting before the timeout");
    await clock.advance(1);
    await send;
    assert.equal(faultCode(outcome), "SEND_ERR_TIMEOUT");
    assert.ok((outcome as unknown as SendError).faultyMembers[0].member.id.equals(to.id));
  });

  it("reaches a member that restarted on the same port, on a new connection", async () => {
    const sender = await transport(new ManualClock());
    await sender.start();
    cleanup.push(() => sender.stop());
    const first = await receiverAt(0);
    const port = first.member.port;
    await sender.sendMessage(message(new Uint8Array([1]), SendOptions.USE_ACK), [first.member]);
    await first.receiver.stop();
    await until(() => sender.connectionCount === 0, "the sender noticing the closed connection");
    const second = await receiverAt(port);
    cleanup.push(() => second.receiver.stop());
    await sender.sendMessage(message(new Uint8Array([2]), SendOptions.USE_ACK), [first.member]);
    assert.deepEqual(second.got.map((m) => m.payload[0]), [2]);
  });

  it("retries a send whose connection was refused only `maxRetryAttempts` times", async () => {
    const sender = await transport(new ManualClock(), { maxRetryAttempts: 1 });
    await sender.start();
    cleanup.push(() => sender.stop());
    const error = await sender.sendMessage(
      message(new Uint8Array([1]), SendOptions.USE_ACK),
      [tcpMember("127.0.0.1", 1)],
    ).then(() => undefined, (e) => e);
    assert.ok(error instanceof SendError);
    assert.match(error.message, /Cannot connect to tcp:\/\/127\.0\.0\.1:1/);
  });

  it("rejects a message above maxFrameSize locally, without a connection", async () => {
    const rx = await receiverAt(0);
    cleanup.push(() => rx.receiver.stop());
    const sender = await transport(new ManualClock(), { maxFrameSize: 4096 });
    await sender.start();
    cleanup.push(() => sender.stop());
    const error = await sender.sendMessage(message(new Uint8Array(5000), SendOptions.USE_ACK), [
      rx.member,
    ]).then(() => undefined, (e) => e);
    assert.equal(faultCode(error), "WIRE_ERR_FRAME_TOO_LARGE");
    assert.equal(rx.got.length, 0);
  });

  it("fails a send on an open connection as a SendError and frees its pool slot", async () => {
    const rx = await receiverAt(0);
    cleanup.push(() => rx.receiver.stop());
    const sender = await transport(new ManualClock(), { maxFrameSize: 4096, poolSize: 1 });
    await sender.start();
    cleanup.push(() => sender.stop());
    const send = (size: number, tag: number) =>
      sender.sendMessage(message(new Uint8Array(size).fill(tag), SendOptions.USE_ACK), [
        rx.member,
      ]);
    await send(1, 1); // the connection is open from here on
    const error = await send(5000, 2).then(() => undefined, (e) => e);
    assert.ok(error instanceof SendError);
    assert.equal(faultCode(error), "WIRE_ERR_FRAME_TOO_LARGE");
    await send(1, 3); // with one slot, this waits forever unless the failed send gave it back
    assert.deepEqual(rx.got.map((m) => m.payload[0]), [1, 3]);
  });
});

describe("PooledParallelSender's pool", () => {
  it("holds sends beyond `poolSize` until `maxWait`, then fails them for every destination", async () => {
    const clock = new ManualClock();
    const deaf = await deafServer();
    const sender = await transport(clock, { poolSize: 2, maxWait: 1000, timeout: 60_000 });
    await sender.start();
    try {
      const to = tcpMember("127.0.0.1", deaf.port);
      const send = () =>
        sender.sendMessage(message(new Uint8Array([1]), SendOptions.USE_ACK), [to]).then(
          () => "acked",
          (e) => e,
        );
      const held = [send(), send()]; // never acknowledged by the deaf server
      const third = send();
      await clock.advance(1000);
      const error = await third;
      assert.ok(error instanceof SendError);
      assert.equal(faultCode(error), "SEND_ERR_TIMEOUT");
      assert.match(error.message, /2 senders stayed busy/);
      await sender.stop();
      assert.deepEqual(
        (await Promise.all(held)).map((e) => (e as SendError).faultyMembers[0].error.message),
        ["The sender stopped", "The sender stopped"],
      );
    } finally {
      await sender.stop();
      await deaf.close();
    }
  });
});
