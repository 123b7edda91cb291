/**
 * BackupManager beyond the conformance suite: bundled copies, malformed messages from a peer, and
 * the hand-over of every copy when a node stops.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { backupHarness, type NodesHarness, startPair } from "../../../src/testing/delta_harness.ts";
import type { BackupManager } from "./mod.ts";

describe("BackupManager on the channel", () => {
  let harness: NodesHarness<BackupManager>;
  afterEach(() => harness?.teardown());

  /** Two nodes: every session a creates has b as its backup. */
  async function pair() {
    harness = backupHarness({ sendOptions: 6 });
    return await startPair(harness);
  }

  it("sends the copies of the requests that end in one turn to their backup as one message", async () => {
    const { a, b, sentBy } = await pair();
    const sessions = Array.from({ length: 5 }, () => a.createSession());
    await Promise.all(sessions.map((s) => a.requestCompleted(s.id)));
    for (const [i, s] of sessions.entries()) s.attributes.set("n", i * 10);
    const before = sentBy();
    await Promise.all(sessions.map((s) => a.requestCompleted(s.id)));
    assert.equal(sentBy() - before, 1, "one message for five writes");
    for (const [i, s] of sessions.entries()) {
      assert.equal(b.store.get(s.id)?.attributes.get("n"), i * 10);
    }
  });

  it("tells where the sessions created in one turn live in one message", async () => {
    const { a, b, sentBy } = await pair();
    const before = sentBy();
    const sessions = Array.from({ length: 5 }, () => a.createSession());
    await Promise.all(sessions.map((s) => a.requestCompleted(s.id)));
    assert.equal(sentBy() - before, 2, "the copies and the places, one message each");
    for (const s of sessions) assert.deepEqual(b.placeOf(s.id), a.placeOf(s.id));
  });

  it("on stop, hands every copy it holds (primary or backup) to the members that stay", async () => {
    const { a, b } = await pair();
    const c = await harness.createNode();
    await c.start();
    const [idA, idB, idC] = harness.nodes.map((n) => n.uniqueId.hex);
    const made: { id: string; value: number }[] = [];
    // Sessions a is primary of, and (by the hash) some a is the backup of.
    for (const m of [a, b, a, c]) {
      for (let i = 0; i < 6; i++) {
        const s = m.createSession();
        s.attributes.set("v", made.length);
        made.push({ id: s.id, value: made.length });
        await m.requestCompleted(s.id);
      }
    }
    const heldByA = made.filter(({ id }) => {
      const p = a.placeOf(id);
      return p?.primary === idA || p?.backup === idA;
    });
    assert.ok(heldByA.length >= 12, `a held copies of ${heldByA.length} sessions`);
    await a.stop();
    for (const { id, value } of made) {
      const place = b.placeOf(id);
      assert.deepEqual(c.placeOf(id), place, `b and c agree where ${id} lives`);
      assert.ok(place && place.backup, `${id} has a primary and a backup`);
      assert.deepEqual(
        new Set([place.primary, place.backup]),
        new Set([idB, idC]),
        `${id} lives on b and c`,
      );
      for (const m of [b, c]) assert.equal(m.store.get(id)?.attributes.get("v"), value);
    }
    assert.equal(a.counters.handedOver, heldByA.length);
  });

  it("refuses malformed messages with a coded fail-ack and applies nothing", async () => {
    const { a, b, channel } = await pair();
    const id = `${"c".repeat(32)}.n1`;
    const delta = { id, created: 0, accessed: 0, interval: 60, meta: [1, "x"], attrs: [] };
    const place = { primary: "p".repeat(32) };
    const bad = [
      { t: "copy", d: { ...delta, meta: "v" }, p: place },
      { t: "copy", d: delta, p: { primary: 7 } },
      { t: "copy", d: delta, p: null },
      { t: "copies", c: "all" },
      { t: "copies", c: [[delta, place], [{ ...delta, attrs: [["k"]] }, place]] },
      { t: "copies", c: [[delta]] },
      { t: "where", id: "../../etc", p: place },
      { t: "where", id, p: { primary: "x".repeat(100) } },
      { t: "wheres", w: [[id, place], ["junk", place]] },
      { t: "wheres", w: [[id, { backup: "b" }]] },
      { t: "gone", id: 42 },
      { t: "fetched", id, d: { id } },
      { t: "places", list: [["not-hex", "p", null]] },
      { t: "places", list: "x".repeat(10_000) },
    ];
    for (const message of bad) {
      await assert.rejects(
        channel.send(channel.getMembers(), { cbm: 1, ctx: "/", ...message }, 6),
        /SESSION_ERR_REPLICATION/,
        JSON.stringify(message).slice(0, 120),
      );
    }
    assert.equal(b.store.get(id), undefined, "not even the good copy of a refused bundle");
    assert.equal(b.placeOf(id), undefined);
    // b still takes copies afterwards.
    const s = a.createSession();
    s.attributes.set("ok", true);
    await a.requestCompleted(s.id);
    assert.equal(b.store.get(s.id)?.attributes.get("ok"), true);
  });
});
