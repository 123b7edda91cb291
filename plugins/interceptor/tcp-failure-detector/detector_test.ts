/**
 * The failure detector on loopback: members are added only when their receiver accepts, a silent
 * member that still accepts is kept, and a broken connection is checked at once.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { INTERCEPTOR_LINK } from "../../../src/interfaces/interceptor.ts";
import type { DepartureReason, Member } from "../../../src/interfaces/member.ts";
import type { ChannelMessage } from "../../../src/interfaces/message.ts";
import { InterceptorBase } from "../../../src/kernel/interceptor_base.ts";
import { ManualClock } from "../../../src/kernel/manual_clock.ts";
import { loopbackReceiver, tcpMember, testComponents } from "../../../src/testing/tcp_harness.ts";
import plugin, { type TcpFailureDetector } from "./mod.ts";

class Top extends InterceptorBase {
  added: Member[] = [];
  gone: { member: Member; reason?: DepartureReason }[] = [];
  #waiters: (() => void)[] = [];
  override memberAdded(m: Member): void {
    this.added.push(m);
    this.#wake();
  }
  override memberDisappeared(member: Member, reason?: DepartureReason): void {
    this.gone.push({ member, reason });
    this.#wake();
  }
  override memberSuspected(): void {}
  override messageReceived(_m: ChannelMessage): Promise<void> {
    return Promise.resolve();
  }
  /** Resolves when `predicate` holds, checked at each membership event. */
  until(predicate: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => predicate() ? resolve() : this.#waiters.push(check);
      check();
    });
  }
  #wake(): void {
    for (const check of this.#waiters.splice(0)) check();
  }
}

class Bottom extends InterceptorBase {
  sent: Member[][] = [];
  local = tcpMember("127.0.0.1", 1, "local");
  override sendMessage(destinations: readonly Member[]): Promise<void> {
    this.sent.push([...destinations]);
    return Promise.resolve();
  }
  override getLocalMember(): Member {
    return this.local;
  }
  override getMember(): Member | undefined {
    return undefined; // membership's fresher record, when it has one
  }
  override heartbeat(): void {}
}

async function listening() {
  const receiver = await loopbackReceiver(0);
  receiver.setHandler(() => Promise.resolve());
  await receiver.start();
  return { receiver, member: tcpMember("127.0.0.1", receiver.boundAddress?.port as number) };
}

async function stack(clock = new ManualClock()) {
  const detector = await plugin.create(
    { connectTimeout: 1000, removeSuspectsTimeout: 300 },
    testComponents({ clock }),
  ) as TcpFailureDetector;
  const top = new Top();
  const bottom = new Bottom();
  top[INTERCEPTOR_LINK](detector, undefined);
  detector[INTERCEPTOR_LINK](bottom, top);
  bottom[INTERCEPTOR_LINK](undefined, detector);
  return { detector, top, bottom, clock };
}

describe("TcpFailureDetector", () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it("adds a member whose receiver accepts, and opens a connection to it", async () => {
    const { detector, top, bottom } = await stack();
    const peer = await listening();
    stops.push(() => peer.receiver.stop());
    detector.memberAdded(peer.member);
    await top.until(() => top.added.length === 1);
    assert.equal(detector.getMembers().length, 1);
    assert.deepEqual(bottom.sent.map((d) => d[0].id.hex), [peer.member.id.hex], "one ping sent");
  });

  it("does not add a member that heartbeats but cannot be reached, until it can", async () => {
    const { detector, top } = await stack();
    const peer = await listening();
    const port = peer.member.port;
    await peer.receiver.stop();
    detector.memberAdded(peer.member);
    // Each channel heartbeat checks it again; while it refuses, nothing is reported.
    for (let i = 0; i < 3; i++) {
      detector.heartbeat();
      await detector.idle();
    }
    assert.equal(top.added.length, 0);
    assert.equal(detector.getMembers().length, 0);
    const back = await loopbackReceiver(port);
    back.setHandler(() => Promise.resolve());
    await back.start();
    stops.push(() => back.stop());
    detector.heartbeat();
    await top.until(() => top.added.length === 1);
  });

  it("keeps a member that stopped heartbeating but still accepts connections", async () => {
    const { detector, top } = await stack();
    const peer = await listening();
    stops.push(() => peer.receiver.stop());
    detector.memberAdded(peer.member);
    await top.until(() => top.added.length === 1);
    detector.memberDisappeared(peer.member, "expired");
    // The check connects; once it has, the member is a suspect, still listed.
    await detector.idle();
    assert.equal(top.gone.length, 0, "not removed");
    assert.equal(detector.getMembers().length, 1);
    await peer.receiver.stop();
    detector.heartbeat(); // the suspect is checked again, and now refuses
    await top.until(() => top.gone.length === 1);
    assert.equal(top.gone[0].reason, "unreachable");
  });

  it("removes a member at once when its connection breaks and it refuses new ones", async () => {
    const { detector, top } = await stack();
    const peer = await listening();
    detector.memberAdded(peer.member);
    await top.until(() => top.added.length === 1);
    await peer.receiver.stop();
    detector.memberSuspected(peer.member, new Error("connection reset"));
    await top.until(() => top.gone.length === 1);
    assert.deepEqual(
      [top.gone[0].member.id.hex, top.gone[0].reason],
      [peer.member.id.hex, "unreachable"],
    );
    assert.equal(detector.getMembers().length, 0);
  });

  it("checks again shortly after a broken connection that still accepted a connect", async () => {
    // A killed process's kernel may accept a connect for a few ms after its connections reset.
    const clock = new ManualClock();
    const { detector, top } = await stack(clock);
    const peer = await listening();
    detector.memberAdded(peer.member);
    await top.until(() => top.added.length === 1);
    detector.memberSuspected(peer.member, new Error("connection reset"));
    await detector.idle();
    assert.equal(top.gone.length, 0, "the first check was accepted");
    await peer.receiver.stop(); // the listener goes a moment later
    await clock.advance(50);
    await detector.idle();
    await top.until(() => top.gone.length === 1);
    assert.equal(top.gone[0].reason, "unreachable");
  });

  it("passes a graceful departure up without checking", async () => {
    const { detector, top } = await stack();
    const peer = await listening();
    stops.push(() => peer.receiver.stop());
    detector.memberAdded(peer.member);
    await top.until(() => top.added.length === 1);
    detector.memberDisappeared(peer.member, "left");
    assert.deepEqual(top.gone.map((g) => g.reason), ["left"], "reported synchronously");
  });

  it("removes a reachable suspect after removeSuspectsTimeout", async () => {
    const clock = new ManualClock();
    const { detector, top } = await stack(clock);
    const peer = await listening();
    stops.push(() => peer.receiver.stop());
    detector.memberAdded(peer.member);
    await top.until(() => top.added.length === 1);
    detector.memberDisappeared(peer.member, "expired");
    await detector.idle(); // the check connected: a suspect now
    await clock.advance(299_000);
    detector.heartbeat();
    assert.equal(top.gone.length, 0);
    await clock.advance(1000);
    detector.heartbeat();
    assert.deepEqual(top.gone.map((g) => g.reason), ["expired"]);
  });
});
