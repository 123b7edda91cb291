/**
 * The receiver and sender conformance suites: every Receiver and Sender plugin runs them.
 *
 * @module
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Member } from "../interfaces/member.ts";
import { type ChannelMessage, SendOptions } from "../interfaces/message.ts";
import type { Receiver, Sender } from "../interfaces/transport.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { ConclaveError } from "../errors.ts";
import { SendError } from "../kernel/send_error.ts";
import { deferred } from "./wait.ts";

/** What a transport implementation provides to run the suites. */
export interface TransportHarness {
  /** A receiver, not started. */
  receiver(init?: { port?: number }): Promise<Receiver>;
  /** A sender, not started. */
  sender(): Promise<Sender>;
  /** The member record that reaches a started receiver. */
  memberFor(receiver: Receiver): Member;
  /** A member record that no receiver answers. */
  unreachable(): Member;
  /** The sending side's member record. */
  self: Member;
  teardown(): Promise<void>;
}

function message(self: Member, payload: Uint8Array, options = 0): ChannelMessage {
  return { options, timestamp: Date.now(), uniqueId: UniqueId.random(), address: self, payload };
}

/** A started receiver that records what it gets; `fail` makes its handler reject. */
async function recording(harness: TransportHarness, init?: { port?: number }) {
  const receiver = await harness.receiver(init);
  const got: ChannelMessage[] = [];
  const state = { fail: false, waiters: [] as { count: number; resolve: () => void }[] };
  receiver.setHandler((m) => {
    got.push(m);
    for (const w of state.waiters) if (got.length >= w.count) w.resolve();
    return state.fail ? Promise.reject(new Error("handler refused")) : Promise.resolve();
  });
  await receiver.start();
  const until = (count: number) => {
    const d = deferred();
    if (got.length >= count) d.resolve();
    else state.waiters.push({ count, resolve: d.resolve });
    return d.promise;
  };
  return { receiver, got, state, until, member: harness.memberFor(receiver) };
}

const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;

/** Registers the receiver suite. */
export function receiverConformance(name: string, makeHarness: () => TransportHarness): void {
  describe(`receiver conformance: ${name}`, () => {
    let harness: TransportHarness;
    afterEach(() => harness?.teardown());

    it("port 0 reports the port actually bound", async () => {
      harness = makeHarness();
      const { receiver } = await recording(harness, { port: 0 });
      assert.ok(receiver.boundAddress, "boundAddress is set once started");
      assert.ok(receiver.boundAddress.port > 0);
    });

    it("start() and stop() are idempotent", async () => {
      harness = makeHarness();
      const { receiver } = await recording(harness, { port: 0 });
      const port = receiver.boundAddress?.port;
      await receiver.start();
      assert.equal(receiver.boundAddress?.port, port);
      await receiver.stop();
      await receiver.stop();
      assert.equal(receiver.boundAddress, undefined);
    });

    it("messages arrive unchanged and in the order sent", async () => {
      harness = makeHarness();
      const rx = await recording(harness, { port: 0 });
      const sender = await harness.sender();
      await sender.start();
      const sent = Array.from(
        { length: 200 },
        (_, i) => message(harness.self, new Uint8Array([i, i >> 8, 7])),
      );
      await Promise.all(sent.map((m) => sender.sendMessage(m, [rx.member])));
      await rx.until(200);
      assert.deepEqual(rx.got.map((m) => [...m.payload]), sent.map((m) => [...m.payload]));
      assert.ok(rx.got[5].uniqueId.equals(sent[5].uniqueId));
      assert.equal(rx.got[5].options, sent[5].options);
      assert.ok(rx.got[5].address.id.equals(harness.self.id));
    });

    it("serves several senders at once", async () => {
      harness = makeHarness();
      const rx = await recording(harness, { port: 0 });
      const senders = await Promise.all([harness.sender(), harness.sender(), harness.sender()]);
      for (const s of senders) await s.start();
      await Promise.all(
        senders.flatMap((s, i) =>
          Array.from(
            { length: 20 },
            () => s.sendMessage(message(harness.self, new Uint8Array([i])), [rx.member]),
          )
        ),
      );
      await rx.until(60);
      for (let i = 0; i < 3; i++) assert.equal(rx.got.filter((m) => m.payload[0] === i).length, 20);
    });

    it("stops cleanly with a peer attached, and a later send to it fails", async () => {
      harness = makeHarness();
      const rx = await recording(harness, { port: 0 });
      const sender = await harness.sender();
      await sender.start();
      await sender.sendMessage(message(harness.self, new Uint8Array([1]), SendOptions.USE_ACK), [
        rx.member,
      ]);
      await rx.receiver.stop();
      await assert.rejects(
        sender.sendMessage(message(harness.self, new Uint8Array([2]), SendOptions.USE_ACK), [
          rx.member,
        ]),
        SendError,
      );
    });

    it("a handler failure comes back to a synchronized-ack sender as a fail-ack", async () => {
      harness = makeHarness();
      const rx = await recording(harness, { port: 0 });
      rx.state.fail = true;
      const sender = await harness.sender();
      await sender.start();
      await assert.rejects(
        sender.sendMessage(message(harness.self, new Uint8Array([1]), SYNC), [rx.member]),
        (e: unknown) =>
          e instanceof SendError &&
          (e.faultyMembers[0].error as ConclaveError).code === "SEND_ERR_REMOTE_PROCESSING",
      );
    });
  });
}

/** Registers the sender suite. */
export function senderConformance(name: string, makeHarness: () => TransportHarness): void {
  describe(`sender conformance: ${name}`, () => {
    let harness: TransportHarness;
    afterEach(() => harness?.teardown());

    it("sends to one member and to many", async () => {
      harness = makeHarness();
      const rxs = [await recording(harness, { port: 0 }), await recording(harness, { port: 0 })];
      const sender = await harness.sender();
      await sender.start();
      await sender.sendMessage(message(harness.self, new Uint8Array([1]), SendOptions.USE_ACK), [
        rxs[0].member,
      ]);
      await sender.sendMessage(
        message(harness.self, new Uint8Array([2]), SendOptions.USE_ACK),
        rxs.map((r) => r.member),
      );
      await rxs[0].until(2);
      await rxs[1].until(1);
      assert.deepEqual(rxs[0].got.map((m) => m.payload[0]), [1, 2]);
      assert.deepEqual(rxs[1].got.map((m) => m.payload[0]), [2]);
    });

    it("one unreachable member fails the send naming it, and the others still receive", async () => {
      harness = makeHarness();
      const rx = await recording(harness, { port: 0 });
      const bad = harness.unreachable();
      const sender = await harness.sender();
      await sender.start();
      const error = await sender.sendMessage(
        message(harness.self, new Uint8Array([9]), SendOptions.USE_ACK),
        [bad, rx.member],
      ).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof SendError, "rejects with a SendError");
      assert.equal(error.code, "SEND_ERR_FAILED");
      assert.equal(error.faultyMembers.length, 1);
      assert.ok(error.faultyMembers[0].member.id.equals(bad.id));
      await rx.until(1);
      assert.equal(rx.got[0].payload[0], 9);
    });

    it("a synchronized ack resolves only after the receiver processed the message", async () => {
      harness = makeHarness();
      const rx = await recording(harness, { port: 0 });
      const sender = await harness.sender();
      await sender.start();
      await sender.sendMessage(message(harness.self, new Uint8Array([3]), SYNC), [rx.member]);
      assert.equal(rx.got.length, 1, "processed before the send resolved");
    });

    it("sending after stop() is rejected with a code", async () => {
      harness = makeHarness();
      const rx = await recording(harness, { port: 0 });
      const sender = await harness.sender();
      await sender.start();
      await sender.stop();
      await sender.stop();
      await assert.rejects(
        sender.sendMessage(message(harness.self, new Uint8Array([1])), [rx.member]),
        (e: unknown) => e instanceof ConclaveError && typeof e.code === "string",
      );
    });

    it("a 1 MiB payload arrives intact", async () => {
      harness = makeHarness();
      const rx = await recording(harness, { port: 0 });
      const sender = await harness.sender();
      await sender.start();
      const big = crypto.getRandomValues(new Uint8Array(65536));
      const payload = new Uint8Array(1 << 20);
      for (let i = 0; i < 16; i++) payload.set(big, i * 65536);
      await sender.sendMessage(message(harness.self, payload, SendOptions.USE_ACK), [rx.member]);
      await rx.until(1);
      assert.deepEqual(rx.got[0].payload, payload);
    });
  });
}
