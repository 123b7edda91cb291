/**
 * The interceptor conformance suite: every Interceptor plugin runs it.
 *
 * The interceptor under test sits between a recording top and a recording bottom layer. A
 * layer that changes payloads (compression, encryption) declares `transforms: true` and is checked
 * by a round trip through two instances instead of byte equality.
 *
 * @module
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Interceptor, INTERCEPTOR_LINK } from "../interfaces/interceptor.ts";
import type { DepartureReason, Member } from "../interfaces/member.ts";
import { type ChannelMessage, SendOptions, StartOptions } from "../interfaces/message.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { InterceptorBase, isInterceptor } from "../kernel/interceptor_base.ts";
import { deferred } from "./wait.ts";

/** What an interceptor implementation provides to run the suite. */
export interface InterceptorHarness {
  /** A new instance with its default attributes. */
  create(): Promise<Interceptor>;
  /** True when the layer rewrites payloads; checked by a round trip through two instances. */
  transforms?: boolean;
}

function member(port: number): Member {
  return {
    id: UniqueId.random(),
    name: `mem://suite/${port}`,
    host: "memory",
    port,
    jvmRoute: `n${port}`,
    domain: "",
    ready: true,
    payload: new Uint8Array(0),
  };
}

/** Bottom layer: records what comes down, and loops sends back up when `loop` is set. */
class Bottom extends InterceptorBase {
  sent: ChannelMessage[] = [];
  svc: string[] = [];
  heartbeats = 0;
  members = [member(2), member(3)];
  local = member(1);
  loop: Interceptor | undefined;
  #waiters: { count: number; resolve: () => void }[] = [];
  override sendMessage(_d: readonly Member[], message: ChannelMessage): Promise<void> {
    this.sent.push(message);
    for (const w of this.#waiters) if (this.sent.length >= w.count) w.resolve();
    return this.loop ? this.loop.messageReceived(message) : Promise.resolve();
  }
  until(count: number): Promise<void> {
    const d = deferred();
    if (this.sent.length >= count) d.resolve();
    else this.#waiters.push({ count, resolve: d.resolve });
    return d.promise;
  }
  override heartbeat(): void {
    this.heartbeats++;
  }
  override start(svc: number): Promise<void> {
    this.svc.push(`start ${svc}`);
    return Promise.resolve();
  }
  override stop(svc: number): Promise<void> {
    this.svc.push(`stop ${svc}`);
    return Promise.resolve();
  }
  override hasMembers(): boolean {
    return true;
  }
  override getMembers(): readonly Member[] {
    return this.members;
  }
  override getMember(id: UniqueId): Member | undefined {
    return this.members.find((m) => m.id.equals(id));
  }
  override getLocalMember(): Member {
    return this.local;
  }
}

/** Top layer: records what comes up. */
class Top extends InterceptorBase {
  received: ChannelMessage[] = [];
  added: Member[] = [];
  gone: Member[] = [];
  reasons: DepartureReason[] = [];
  override messageReceived(message: ChannelMessage): Promise<void> {
    this.received.push(message);
    return Promise.resolve();
  }
  override memberAdded(m: Member): void {
    this.added.push(m);
  }
  override memberDisappeared(m: Member, reason: DepartureReason): void {
    this.gone.push(m);
    this.reasons.push(reason);
  }
}

/** Yields to pending callbacks and I/O until `predicate` holds (at most 1000 turns). */
async function eventually(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !predicate(); i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(predicate(), `expected ${what}`);
}

function link(layers: Interceptor[]): void {
  layers.forEach((layer, i) => layer[INTERCEPTOR_LINK](layers[i + 1], layers[i - 1]));
}

function message(options: number): ChannelMessage {
  return {
    options,
    timestamp: 1,
    uniqueId: UniqueId.random(),
    address: member(1),
    payload: new TextEncoder().encode("conformance payload"),
  };
}

const OPTION_SETS = [
  0,
  SendOptions.USE_ACK,
  SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK,
  SendOptions.ASYNCHRONOUS,
];

/** Registers the suite under `describe("interceptor conformance: <name>")`. */
export function interceptorConformance(name: string, harness: InterceptorHarness): void {
  describe(`interceptor conformance: ${name}`, () => {
    const stack = async () => {
      const top = new Top();
      const layer = await harness.create();
      const bottom = new Bottom();
      link([top, layer, bottom]);
      return { top, layer, bottom };
    };

    it("is an interceptor with a non-negative integer optionFlag", async () => {
      const layer = await harness.create();
      assert.ok(isInterceptor(layer), "built on InterceptorBase");
      assert.ok(Number.isInteger(layer.optionFlag) && layer.optionFlag >= 0);
    });

    it("passes sends down with every option set", async () => {
      const { layer, bottom } = await stack();
      const messages = OPTION_SETS.map(message);
      for (const m of messages) await layer.sendMessage(bottom.members, m);
      await bottom.until(messages.length);
      assert.deepEqual(bottom.sent.map((m) => m.uniqueId.hex), messages.map((m) => m.uniqueId.hex));
      if (!harness.transforms) {
        bottom.sent.forEach((m, i) => {
          assert.deepEqual(m.payload, messages[i].payload);
          assert.equal(m.options, messages[i].options);
        });
      }
    });

    it("passes received messages up, after a round trip through two instances", async () => {
      const top = new Top();
      const receiving = await harness.create();
      const sending = await harness.create();
      const bottom = new Bottom();
      link([top, receiving, bottom]);
      const head = new Top();
      link([head, sending, bottom]);
      bottom.loop = receiving;
      const sent = OPTION_SETS.map(message);
      for (const m of sent) await sending.sendMessage(bottom.members, m);
      await bottom.until(sent.length);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(top.received.map((m) => m.uniqueId.hex), sent.map((m) => m.uniqueId.hex));
      top.received.forEach((m, i) => assert.deepEqual(m.payload, sent[i].payload));
    });

    it("passes membership events up and membership queries down", async () => {
      const { top, layer, bottom } = await stack();
      // A layer may check a member before it reports it (a failure detector): wait for it.
      for (const m of bottom.members) layer.memberAdded(m);
      await eventually(() => top.added.length === bottom.members.length, "members reported up");
      layer.memberDisappeared(bottom.members[0], "left");
      await eventually(() => top.gone.length === 1, "the departure reported up");
      const ids = (list: readonly Member[]) => list.map((m) => m.id.hex).sort();
      assert.deepEqual(ids(top.added), ids(bottom.members));
      assert.deepEqual(top.gone, [bottom.members[0]]);
      assert.deepEqual(top.reasons, ["left"], "the reason as membership gave it, unchanged");
      layer.memberAdded(bottom.members[0]);
      await eventually(() => top.added.length === bottom.members.length + 1, "the member back");
      assert.deepEqual(ids(layer.getMembers()), ids(bottom.members));
      assert.equal(layer.getMember(bottom.members[1].id), bottom.members[1]);
      assert.equal(layer.getLocalMember(), bottom.local);
      assert.equal(layer.hasMembers(), true);
    });

    it("passes start, stop and heartbeat down", async () => {
      const { layer, bottom } = await stack();
      await layer.start(StartOptions.DEFAULT);
      layer.heartbeat();
      await layer.stop(StartOptions.DEFAULT);
      assert.deepEqual(bottom.svc, ["start 15", "stop 15"]);
      assert.equal(bottom.heartbeats, 1);
    });
  });
}
