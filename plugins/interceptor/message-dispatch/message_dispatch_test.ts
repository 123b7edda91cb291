import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INTERCEPTOR_LINK } from "../../../src/interfaces/interceptor.ts";
import type { Member } from "../../../src/interfaces/member.ts";
import { type ChannelMessage, SendOptions } from "../../../src/interfaces/message.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { InterceptorBase } from "../../../src/kernel/interceptor_base.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { SendError } from "../../../src/kernel/send_error.ts";
import { MessageDispatchInterceptor } from "./message_dispatch.ts";

const ASYNC: number = SendOptions.ASYNCHRONOUS;
const someone = { id: UniqueId.random(), name: "mem://t/2" } as Member;

/** A layer below whose sends complete only when the test says so. */
class Gate extends InterceptorBase {
  calls: { message: ChannelMessage; settle: (error?: Error) => void }[] = [];
  override sendMessage(_d: readonly Member[], message: ChannelMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({ message, settle: (error) => error ? reject(error) : resolve() });
    });
  }
  override stop(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(maxQueueSize: number, alwaysSend: boolean) {
  const warnings: object[] = [];
  const logger = { ...silentLogger(), warn: (fields: object) => void warnings.push(fields) };
  const layer = new MessageDispatchInterceptor({
    maxQueueSize,
    alwaysSend,
    logger: logger as never,
  });
  const gate = new Gate();
  layer[INTERCEPTOR_LINK](gate, undefined);
  return { layer, gate, warnings };
}

function msg(size: number, options = ASYNC, tag = 0): ChannelMessage {
  const payload = new Uint8Array(size).fill(tag);
  return { options, timestamp: 0, uniqueId: UniqueId.random(), address: someone, payload };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("MessageDispatchInterceptor", () => {
  it("resolves an asynchronous send before the layer below completes it", async () => {
    const { layer, gate } = setup(1000, true);
    await layer.sendMessage([someone], msg(10));
    await tick();
    assert.equal(gate.calls.length, 1, "handed down");
    assert.equal(layer.queuedBytes, 10, "still counted while in flight");
    gate.calls[0].settle();
    await tick();
    assert.equal(layer.queuedBytes, 0);
    assert.equal(layer.stats.sent, 1);
  });

  it("hands an asynchronous send down before sendMessage returns, so it leaves in this turn", () => {
    const { layer, gate } = setup(1000, true);
    void layer.sendMessage([someone], msg(10));
    assert.equal(gate.calls.length, 1, "the layer below has it without waiting for a microtask");
  });

  it("keeps draining after a layer below that throws instead of rejecting", async () => {
    const { layer, gate, warnings } = setup(1000, true);
    const send = gate.sendMessage.bind(gate);
    let first = true;
    gate.sendMessage = (d, m) => {
      if (first) {
        first = false;
        throw new Error("thrown, not rejected");
      }
      return send(d, m);
    };
    await layer.sendMessage([someone], msg(10));
    await layer.sendMessage([someone], msg(10));
    assert.equal(gate.calls.length, 1, "the second send still went down");
    await tick();
    assert.equal(layer.stats.failed, 1);
    assert.equal(warnings.length, 1);
  });

  it("passes a send without the asynchronous bit straight down, waiting for it", async () => {
    const { layer, gate } = setup(1000, true);
    let done = false;
    const sending = layer.sendMessage([someone], msg(10, SendOptions.USE_ACK)).then(() =>
      done = true
    );
    await tick();
    assert.equal(done, false, "waits for the layer below");
    gate.calls[0].settle();
    await sending;
    assert.equal(layer.stats.queued, 0);
  });

  it("hands queued messages down in the order they were sent", async () => {
    const { layer, gate } = setup(10_000, true);
    for (let i = 0; i < 50; i++) await layer.sendMessage([someone], msg(1, ASYNC, i));
    await tick();
    assert.deepEqual(
      gate.calls.map((c) => c.message.payload[0]),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it("with alwaysSend=false rejects a send that does not fit with CHANNEL_ERR_QUEUE_FULL", async () => {
    const { layer } = setup(100, false);
    await layer.sendMessage([someone], msg(80));
    await assert.rejects(layer.sendMessage([someone], msg(30)), { code: "CHANNEL_ERR_QUEUE_FULL" });
  });

  it("with alwaysSend=true makes a send that does not fit wait for room, keeping the order", async () => {
    const { layer, gate } = setup(100, true);
    await layer.sendMessage([someone], msg(80, ASYNC, 1));
    let admitted = false;
    const waiting = layer.sendMessage([someone], msg(30, ASYNC, 2)).then(() => admitted = true);
    await tick();
    assert.equal(admitted, false, "waits while the queue is full");
    assert.equal(gate.calls.length, 1);
    gate.calls[0].settle();
    await waiting;
    await tick();
    assert.deepEqual(gate.calls.map((c) => c.message.payload[0]), [1, 2]);
  });

  it("counts and logs a failed queued send, naming the members", async () => {
    const { layer, gate, warnings } = setup(1000, true);
    await layer.sendMessage([someone], msg(5));
    await tick();
    gate.calls[0].settle(new SendError([{ member: someone, error: new Error("reset") }]));
    await tick();
    assert.equal(layer.stats.failed, 1);
    assert.deepEqual((warnings[0] as { members: string[] }).members, ["mem://t/2"]);
  });

  it("stop() flushes the queue before stopping the layer below", async () => {
    const { layer, gate } = setup(1000, true);
    await layer.sendMessage([someone], msg(5));
    let stopped = false;
    const stopping = layer.stop(15).then(() => stopped = true);
    await tick();
    assert.equal(stopped, false, "waits for the in-flight send");
    gate.calls[0].settle();
    await stopping;
    assert.equal(layer.stats.sent, 1);
  });
});
