import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { setImmediate } from "node:timers";
import type { Member } from "../interfaces/member.ts";
import type { Membership } from "../interfaces/membership.ts";
import { SendOptions, StartOptions } from "../interfaces/message.ts";
import type { Receiver, Sender } from "../interfaces/transport.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { MemoryMembership } from "../../plugins/membership/memory/mod.ts";
import { MemoryReceiver } from "../../plugins/receiver/memory/mod.ts";
import { MemorySender } from "../../plugins/sender/memory/mod.ts";
import { ManualClock } from "./manual_clock.ts";
import { MemoryNetwork } from "../../plugins/membership/memory/network.ts";
import { waitFor } from "../conformance/wait.ts";
import { GroupChannel } from "./channel.ts";
import { ChannelCoordinator } from "./coordinator.ts";
import { ConclaveError } from "../errors.ts";
import { encodeValue } from "./codec.ts";
import { InterceptorBase } from "./interceptor_base.ts";
import { silentLogger } from "./log.ts";
import { SendError } from "./send_error.ts";

const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;

class Flagged extends InterceptorBase {}

function node(
  networkName: string,
  clock: ManualClock,
  interceptors: InterceptorBase[] = [],
  names?: string[],
) {
  const network = MemoryNetwork.named(networkName);
  const logger = silentLogger();
  const membership = new MemoryMembership({
    network,
    local: { id: UniqueId.random(), jvmRoute: "n" },
    frequency: 500,
    dropTime: 3000,
    clock,
    logger,
  });
  const receiver = new MemoryReceiver(network, 0, 100);
  const sender = new MemorySender(network);
  const coordinator = new ChannelCoordinator({ receiver, sender, membership }, logger);
  const channel = new GroupChannel({
    interceptors,
    interceptorNames: names,
    coordinator,
    logger,
    clock,
    heartbeatSleeptime: 5000,
  });
  return { channel, membership, receiver, sender, coordinator };
}

/** Wraps a part so that its start and stop calls are written to `log`. */
function traced<T extends object>(part: T, label: string, log: string[]): T {
  return new Proxy(part, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (key === "start" || key === "stop") {
          log.push(`${String(key)} ${label}${args.length ? ` ${args[0]}` : ""}`);
        }
        return value.apply(target, args);
      };
    },
  });
}

/** A bare channel whose coordinator's parts write their start and stop calls to `log`. */
function tracedChannel(log: string[], failMembershipStart = false) {
  const clock = new ManualClock();
  const parts = node(`channel-${UniqueId.random().hex}`, clock);
  const membership = traced<Membership>(parts.membership, "membership", log);
  const coordinator = new ChannelCoordinator({
    receiver: traced<Receiver>(parts.receiver, "receiver", log),
    sender: traced<Sender>(parts.sender, "sender", log),
    membership: failMembershipStart
      ? new Proxy(membership, {
        get: (t, k) =>
          k === "start"
            ? () => Promise.reject(new Error("no multicast here"))
            : Reflect.get(t, k, t),
      })
      : membership,
  }, silentLogger());
  return new GroupChannel({ interceptors: [], coordinator, logger: silentLogger(), clock });
}

describe("GroupChannel", () => {
  const channels: GroupChannel[] = [];
  const network = () => `channel-${UniqueId.random().hex}`;
  afterEach(async () => {
    for (const c of channels.splice(0)) await c.stop();
  });

  async function pair(interceptors?: () => InterceptorBase[]) {
    const clock = new ManualClock();
    const name = network();
    const a = node(name, clock, interceptors?.());
    const b = node(name, clock, interceptors?.());
    channels.push(a.channel, b.channel);
    await a.channel.start();
    await b.channel.start();
    await waitFor(
      clock,
      () => a.channel.getMembers().length === 1 && b.channel.getMembers().length === 1,
      "the pair to meet",
    );
    return { a, b, clock };
  }

  it("send() delivers a CBOR value to the other member's listeners, with the sender's address", async () => {
    const { a, b } = await pair();
    const got: { value: unknown; from: Member }[] = [];
    b.channel.addChannelListener({
      messageReceived: (value, from) => void got.push({ value, from }),
    });
    const value = { n: 1, list: [1, "two"], when: new Date(5), big: 10n, map: new Map([["k", 1]]) };
    await a.channel.send(a.channel.getMembers(), value, SYNC);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].value, value);
    assert.ok(got[0].from.id.equals(a.channel.getLocalMember().id));
  });

  it("send() of a Uint8Array travels as raw bytes", async () => {
    const { a, b } = await pair();
    const got: unknown[] = [];
    b.channel.addChannelListener({ messageReceived: (value) => void got.push(value) });
    await a.channel.send(a.channel.getMembers(), new Uint8Array([1, 2, 3]), SYNC);
    assert.ok(got[0] instanceof Uint8Array);
    assert.deepEqual([...(got[0] as Uint8Array)], [1, 2, 3]);
  });

  it("a listener's failure rejects a synchronized-ack send with a remote-processing error", async () => {
    const { a, b } = await pair();
    b.channel.addChannelListener({
      messageReceived: () => {
        throw new Error("listener refused");
      },
    });
    await assert.rejects(
      a.channel.send(a.channel.getMembers(), "x", SYNC),
      (e: unknown) =>
        e instanceof SendError &&
        (e.faultyMembers[0].error as ConclaveError).code === "SEND_ERR_REMOTE_PROCESSING",
    );
    assert.equal(a.channel.stats.sendFailures, 1);
  });

  it("a listener whose accept() says no does not see the message", async () => {
    const { a, b } = await pair();
    const got: unknown[] = [];
    b.channel.addChannelListener({
      accept: (v) => v !== "skip",
      messageReceived: (v) => void got.push(v),
    });
    await a.channel.send(a.channel.getMembers(), "skip", SYNC);
    await a.channel.send(a.channel.getMembers(), "keep", SYNC);
    assert.deepEqual(got, ["keep"]);
  });

  it("an undecodable payload is counted, logged and fails a synchronized-ack send", async () => {
    const { a, b } = await pair();
    const bad = new Uint8Array([0x5f, 0x41]); // an indefinite byte string, cut short
    // Past the channel's own encoder: straight into the stack below the channel.
    const message = {
      options: SYNC,
      timestamp: 0,
      uniqueId: UniqueId.random(),
      address: a.channel.getLocalMember(),
      payload: bad,
    };
    await assert.rejects(a.coordinator.sendMessage(a.channel.getMembers(), message), SendError);
    assert.equal(b.channel.stats.decodeFailures, 1);
  });

  it("send() with no destination or before start() is rejected with a code", async () => {
    const clock = new ManualClock();
    const { channel } = node(network(), clock);
    await assert.rejects(channel.send([], "x", 0), { code: "CHANNEL_ERR_NO_DESTINATION" });
    const someone = { ...channel.getLocalMember(), id: UniqueId.random() };
    await assert.rejects(channel.send([someone], "x", 0), { code: "CHANNEL_ERR_NOT_STARTED" });
  });

  it("messages between two nodes arrive in the order sent, with every send option", async () => {
    const { a, b } = await pair();
    const got: number[] = [];
    b.channel.addChannelListener({ messageReceived: (v) => void got.push(v as number) });
    const options = [0, SendOptions.USE_ACK, SYNC];
    const sends = Array.from(
      { length: 90 },
      (_, i) => a.channel.send(a.channel.getMembers(), i, options[i % 3]),
    );
    await Promise.all(sends);
    await a.channel.send(a.channel.getMembers(), 90, SYNC);
    assert.deepEqual(got, Array.from({ length: 91 }, (_, i) => i));
  });

  it("membership events reach membership listeners, and a graceful stop is seen at once", async () => {
    const { a, b } = await pair();
    const gone: Member[] = [];
    a.channel.addMembershipListener({
      memberAdded: () => {},
      memberDisappeared: (m) => void gone.push(m),
    });
    const bId = b.channel.getLocalMember().id;
    await b.channel.stop();
    assert.equal(gone.length, 1);
    assert.ok(gone[0].id.equals(bId));
    assert.deepEqual(a.channel.getMembers(), []);
  });

  it("rejects overlapping optionFlags at start, naming both interceptors", async () => {
    const clock = new ManualClock();
    const { channel } = node(network(), clock, [
      new Flagged({ optionFlag: 0x100 }),
      new Flagged({ optionFlag: 0 }),
      new Flagged({ optionFlag: 0x300 }),
    ], ["GzipLike", "Plain", "Other"]);
    await assert.rejects(
      channel.start(),
      (e: unknown) =>
        e instanceof ConclaveError && e.code === "CHANNEL_ERR_OPTION_FLAG_CONFLICT" &&
        e.message.includes('"GzipLike"') && e.message.includes('"Other"') &&
        !e.message.includes("Plain"),
    );
    assert.equal(channel.started, 0);
  });

  it("the coordinator starts receiver, sender, membership receive, transmit in order and stops in reverse", async () => {
    const log: string[] = [];
    const channel = tracedChannel(log);
    await channel.start();
    assert.ok(channel.getLocalMember().port > 0, "the local member advertises the bound port");
    await channel.stop();
    assert.deepEqual(log, [
      "start receiver",
      "start sender",
      "start membership 4",
      "start membership 8",
      "stop membership 8",
      "stop membership 4",
      "stop sender",
      "stop receiver",
    ]);
  });

  it("honours channelStartOptions bits, and start()/stop() are idempotent", async () => {
    const log: string[] = [];
    const channel = tracedChannel(log);
    await channel.start(StartOptions.SND_RX_SEQ | StartOptions.SND_TX_SEQ);
    await channel.start(3);
    assert.deepEqual(log, ["start receiver", "start sender"]);
    assert.equal(channel.started, 3);
    await channel.start(StartOptions.DEFAULT);
    assert.deepEqual(log.slice(2), ["start membership 4", "start membership 8"]);
    await channel.stop();
    await channel.stop();
    assert.equal(log.filter((l) => l.startsWith("stop")).length, 4);
  });

  it("a part that fails to start leaves nothing started and reports which part", async () => {
    const log: string[] = [];
    const channel = tracedChannel(log, true);
    await assert.rejects(
      channel.start(),
      (e: unknown) =>
        e instanceof ConclaveError && e.code === "CHANNEL_ERR_PLUGIN_FAILED" &&
        e.message.includes("membership receive") &&
        (e.cause as Error).message === "no multicast here",
    );
    assert.deepEqual(log, ["start receiver", "start sender", "stop sender", "stop receiver"]);
    assert.equal(channel.started, 0);
  });

  it("the heartbeat walks down the stack every heartbeatSleeptime", async () => {
    const clock = new ManualClock();
    let beats = 0;
    class Counting extends InterceptorBase {
      override heartbeat(): void {
        beats++;
        super.heartbeat();
      }
    }
    const { channel } = node(network(), clock, [new Counting()]);
    channels.push(channel);
    await channel.start();
    await clock.advance(15_000);
    assert.equal(beats, 3);
    await channel.stop();
    await clock.advance(10_000);
    assert.equal(beats, 3, "no heartbeat after stop");
  });

  it("offers a message to its listeners one after the other, awaiting each; a throw rejects", async () => {
    const channel = new GroupChannel({
      interceptors: [],
      coordinator: new InterceptorBase(),
      logger: silentLogger(),
      clock: new ManualClock(),
      heartbeat: false,
    });
    const calls: string[] = [];
    let release = () => {};
    channel.addChannelListener({
      messageReceived: (value) => {
        calls.push(`first ${value}`);
        return new Promise<void>((resolve) => release = resolve);
      },
    });
    channel.addChannelListener({
      messageReceived: (value) => {
        calls.push(`second ${value}`);
        if (value === "bad") throw new Error("listener threw");
      },
    });
    const message = (value: string) => ({
      options: 0,
      timestamp: 0,
      uniqueId: UniqueId.random(),
      address: { id: UniqueId.random(), name: "m", host: "h", port: 1, jvmRoute: "", domain: "" },
      payload: encodeValue(value),
    });
    const ok = channel.messageReceived(message("ok") as never);
    await new Promise((resolve) => setImmediate(resolve)); // a turn: the first has not settled
    assert.deepEqual(calls, ["first ok"]);
    release();
    await ok;
    assert.deepEqual(calls, ["first ok", "second ok"]);
    const bad = channel.messageReceived(message("bad") as never);
    release();
    await assert.rejects(bad, /listener threw/);
  });
});
