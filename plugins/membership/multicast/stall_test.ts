/**
 * Local health: a node whose own event loop stalled longer than `dropTime` does not declare its
 * healthy peers dead (their heartbeats sat unread in its socket), yet still notices a real death.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Member } from "../../../src/interfaces/member.ts";
import { StartOptions } from "../../../src/interfaces/message.ts";
import { ManualClock } from "../../../src/kernel/manual_clock.ts";
import { isolatedGroup, multicastNode } from "../../../src/testing/membership_harness.ts";
import type { McastService } from "./mod.ts";

const ALL = StartOptions.MBR_RX_SEQ | StartOptions.MBR_TX_SEQ;

describe("McastService during its own stall", () => {
  const nodes: McastService[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.stop(ALL);
  });

  async function node(clock: ManualClock, group: { port: number; domain: string }, port: number) {
    const { membership, net } = await multicastNode(clock, group, port);
    const gone: Member[] = [];
    membership.setListener({ memberAdded() {}, memberDisappeared: (m) => gone.push(m) });
    nodes.push(membership);
    return { membership, net, gone };
  }

  it("keeps a healthy peer through a 4 s stall with dropTime 3 s, and drops a dead one later", async () => {
    const group = isolatedGroup();
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = await node(clockA, group, 5001);
    const b = await node(clockB, group, 5002);
    await a.membership.start(ALL);
    await b.membership.start(ALL);
    for (let i = 0; i < 100 && a.membership.getMembers().length === 0; i++) {
      await clockA.advance(100);
      await clockB.advance(100);
    }
    assert.equal(a.membership.getMembers().length, 1, "a sees b");

    // a's loop blocks for 4 s: b's heartbeats pile up unread, a's timers run late.
    a.net.hold();
    await clockB.advance(4000);
    clockA.stall(4000);
    await clockA.advance(10); // the overdue expiry check runs now
    a.net.release();
    await clockA.advance(10);
    assert.deepEqual(a.gone, [], "no healthy peer declared dead");
    assert.equal(a.membership.getMembers().length, 1);

    // A real death after the stall is still found.
    b.net.silence();
    for (let i = 0; i < 200 && a.gone.length === 0; i++) await clockA.advance(100);
    assert.equal(a.gone.length, 1, "the silent peer expires");
  });
});
