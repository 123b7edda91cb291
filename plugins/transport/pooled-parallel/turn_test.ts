/**
 * A send over an open connection reaches that connection's frame writer at once, so its frame
 * leaves with the flush of the turn it was made in, even when membership handed over a new
 * record of the same member (it does with every heartbeat). Had the send awaited the connection
 * first, its flush would be scheduled after the turn's pass and leave one event-loop turn later.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChannelMessage } from "../../../src/interfaces/message.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import type { SocketProvider, StreamSocket } from "../../../src/runtime/sockets.ts";
import { ManualClock } from "../../../src/kernel/manual_clock.ts";
import { atTurnEnd } from "../../../src/kernel/turn.ts";
import { pluginInit, tcpMember, testComponents } from "../../../src/testing/tcp_harness.ts";
import transportPlugin, { type PooledParallelSender } from "./mod.ts";

/** A connected socket that records what is written to it (and completes every write). */
function recordingSocket(writes: Uint8Array[]): StreamSocket {
  return {
    remoteAddress: "127.0.0.1",
    remotePort: 4000,
    peer: undefined,
    bufferedAmount: 0,
    write(chunk, done) {
      writes.push(chunk);
      done?.(null);
      return true;
    },
    cork() {},
    uncork() {},
    pause() {},
    resume() {},
    onData() {},
    onDrain() {},
    onClose() {},
    destroy() {},
    end() {},
  };
}

function provider(writes: Uint8Array[]): SocketProvider {
  return {
    name: "recording",
    connect: () => Promise.resolve(recordingSocket(writes)),
    listen: () => Promise.reject(new Error("not used")),
    bindDatagram: () => Promise.reject(new Error("not used")),
  };
}

const self = tcpMember("127.0.0.1", 1, "self");

function message(byte: number): ChannelMessage {
  return {
    options: 0, // no ack: resolves once written
    timestamp: 0,
    uniqueId: UniqueId.random(),
    address: self,
    payload: Uint8Array.of(byte),
  };
}

/** Resolves with what `sender` wrote before a turn-end task queued right after the send ran. */
function writtenWithinTheTurn(
  writes: Uint8Array[],
  send: () => Promise<void>,
): Promise<{ within: number; sent: Promise<void> }> {
  return new Promise((resolve) =>
    atTurnEnd(() => {
      const before = writes.length;
      const sent = send();
      // Runs in the same pass, after any turn-end flush the send queued synchronously.
      atTurnEnd(() => resolve({ within: writes.length - before, sent }));
    })
  );
}

describe("PooledParallelSender within a turn", () => {
  it("writes a send over an open connection in the turn it was made, for a new record of the member", async () => {
    const writes: Uint8Array[] = [];
    const sender = await transportPlugin.create(
      pluginInit(transportPlugin),
      testComponents({ clock: new ManualClock(), sockets: provider(writes) }),
    ) as PooledParallelSender;
    await sender.start();
    try {
      const member = tcpMember("127.0.0.1", 4000, "peer");
      await sender.sendMessage(message(1), [member]); // opens the connection
      assert.equal(sender.connectionCount, 1);
      const written = writes.length;
      assert.ok(written > 0);

      const sameRecord = await writtenWithinTheTurn(
        writes,
        () => sender.sendMessage(message(2), [member]),
      );
      assert.ok(sameRecord.within > 0, "the frame left in the turn of its send");
      await sameRecord.sent;

      // Membership's next heartbeat: the same member (id, host, port) in a new record.
      const renewed = { ...member };
      const newRecord = await writtenWithinTheTurn(
        writes,
        () => sender.sendMessage(message(3), [renewed]),
      );
      assert.ok(newRecord.within > 0, "a new record of the member still finds its connection");
      await newRecord.sent;
      assert.equal(sender.connectionCount, 1);
    } finally {
      await sender.stop();
    }
  });
});
