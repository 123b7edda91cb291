/**
 * The membership conformance suite: every Membership plugin, built-in or third-party, runs it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Member, MembershipListener } from "../interfaces/member.ts";
import type { Membership } from "../interfaces/membership.ts";
import { StartOptions } from "../interfaces/message.ts";
import type { ManualClock } from "../kernel/manual_clock.ts";
import { waitFor } from "./wait.ts";

/** One node's membership, made by a harness, not started. */
export interface MembershipNode {
  membership: Membership;
  /** Makes the node fall silent without a goodbye, as a crash or a cut cable would. */
  silence(): void | Promise<void>;
}

/** What an implementation provides to run the suite. */
export interface MembershipHarness {
  /** The clock every node of this harness uses. */
  clock: ManualClock;
  /** Silence after which a member must be dropped, ms. */
  dropTime: number;
  /** Creates a node whose local member already has its host and port. */
  createNode(): Promise<MembershipNode>;
  /** Stops and releases every node created. */
  teardown(): Promise<void>;
}

/** Records a membership's events. */
export class Recorder implements MembershipListener {
  added: Member[] = [];
  gone: Member[] = [];
  memberAdded(member: Member): void {
    this.added.push(member);
  }
  memberDisappeared(member: Member): void {
    this.gone.push(member);
  }
  get count(): number {
    return this.added.length + this.gone.length;
  }
}

const ALL = StartOptions.MBR_RX_SEQ | StartOptions.MBR_TX_SEQ;

/** Registers the suite under `describe("membership conformance: <name>")`. */
export function membershipConformance(name: string, makeHarness: () => MembershipHarness): void {
  describe(`membership conformance: ${name}`, () => {
    let harness: MembershipHarness;
    const started = async (count: number) => {
      harness = makeHarness();
      const nodes: { node: MembershipNode; events: Recorder }[] = [];
      for (let i = 0; i < count; i++) {
        const node = await harness.createNode();
        const events = new Recorder();
        node.membership.setListener(events);
        nodes.push({ node, events });
      }
      return nodes;
    };
    const sees = (m: Membership, other: Membership) =>
      m.getMembers().some((x) => x.id.equals(other.getLocalMember().id));

    afterEach(async () => {
      await harness?.teardown();
    });

    it("two nodes see each other, and getMembers() excludes the local member", async () => {
      const [a, b] = await started(2);
      await a.node.membership.start(ALL);
      await b.node.membership.start(ALL);
      await waitFor(harness.clock, () =>
        sees(a.node.membership, b.node.membership) &&
        sees(b.node.membership, a.node.membership), "two nodes to see each other");
      for (const { node } of [a, b]) {
        const self = node.membership.getLocalMember();
        assert.equal(node.membership.getMembers().some((m) => m.id.equals(self.id)), false);
        assert.equal(node.membership.getMembers().length, 1);
      }
      assert.equal(a.events.added.length, 1);
      assert.ok(a.events.added[0].id.equals(b.node.membership.getLocalMember().id));
    });

    it("three nodes see each other", async () => {
      const nodes = await started(3);
      for (const { node } of nodes) await node.membership.start(ALL);
      await waitFor(
        harness.clock,
        () => nodes.every(({ node }) => node.membership.getMembers().length === 2),
        "three nodes to see each other",
      );
      for (const { events } of nodes) assert.equal(events.added.length, 2);
    });

    it("start() and stop() are idempotent", async () => {
      const [a, b] = await started(2);
      await a.node.membership.start(ALL);
      await a.node.membership.start(ALL);
      await b.node.membership.start(ALL);
      await b.node.membership.start(ALL);
      await waitFor(harness.clock, () => a.node.membership.getMembers().length === 1, "the peer");
      await harness.clock.advance(harness.dropTime);
      assert.equal(
        a.events.added.length,
        1,
        "a member is added once, however often its peer starts",
      );
      await b.node.membership.stop(ALL);
      await b.node.membership.stop(ALL);
      await waitFor(harness.clock, () => a.events.gone.length === 1, "the peer's departure");
      assert.equal(a.events.gone.length, 1);
    });

    it("stop() before start() does nothing and emits nothing", async () => {
      const [a] = await started(1);
      await a.node.membership.stop(ALL);
      assert.equal(a.events.count, 0);
      assert.deepEqual(a.node.membership.getMembers(), []);
    });

    it("emits no events before start() or after stop()", async () => {
      const [a, b, c] = await started(3);
      await b.node.membership.start(ALL);
      await c.node.membership.start(ALL);
      await waitFor(
        harness.clock,
        () => b.node.membership.getMembers().length === 1,
        "b and c to meet",
      );
      assert.equal(a.events.count, 0, "a, not started, heard nothing");
      await a.node.membership.start(ALL);
      await waitFor(harness.clock, () => a.node.membership.getMembers().length === 2, "a to join");
      await a.node.membership.stop(ALL);
      const before = a.events.count;
      await c.node.membership.stop(ALL);
      await harness.clock.advance(harness.dropTime * 2);
      assert.equal(a.events.count, before, "a, stopped, heard nothing more");
      assert.deepEqual(a.node.membership.getMembers(), []);
    });

    it("a graceful stop yields memberDisappeared before dropTime", async () => {
      const [a, b] = await started(2);
      await a.node.membership.start(ALL);
      await b.node.membership.start(ALL);
      await waitFor(harness.clock, () => sees(a.node.membership, b.node.membership), "a to see b");
      await b.node.membership.stop(ALL);
      await waitFor(harness.clock, () => a.events.gone.length === 1, "b's departure", {
        step: 10,
        maxSteps: Math.max(1, Math.floor(harness.dropTime / 20)),
      });
      assert.ok(a.events.gone[0].id.equals(b.node.membership.getLocalMember().id));
      assert.deepEqual(a.node.membership.getMembers(), []);
    });

    it("a silent member expires after dropTime", async () => {
      const [a, b] = await started(2);
      await a.node.membership.start(ALL);
      await b.node.membership.start(ALL);
      await waitFor(harness.clock, () => sees(a.node.membership, b.node.membership), "a to see b");
      await b.node.silence();
      await harness.clock.advance(harness.dropTime / 2);
      assert.equal(a.events.gone.length, 0, "not dropped long before dropTime");
      await waitFor(harness.clock, () => a.events.gone.length === 1, "b to expire", { step: 50 });
      assert.ok(a.events.gone[0].id.equals(b.node.membership.getLocalMember().id));
    });
  });
}
