/**
 * DeltaManager's promises beyond Tomcat's: reads send nothing, creation travels with its first
 * attributes, concurrent writes converge, tombstones keep invalidated sessions dead, one node
 * decides expiry, and a joiner receives many sessions in chunks.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { StartOptions } from "../../../src/interfaces/message.ts";
import { waitFor } from "../../../test/conformance/wait.ts";
import { type DeltaHarness, deltaHarness } from "../../../src/testing/delta_harness.ts";
import type { StoredSession } from "../../../src/session/store.ts";

describe("DeltaManager", () => {
  let harness: DeltaHarness;
  afterEach(() => harness?.teardown());

  async function pair(sendOptions = 6) {
    harness = deltaHarness({ sendOptions });
    const a = await harness.createNode();
    await a.start();
    const b = await harness.createNode();
    await b.start();
    return { a, b };
  }

  it("sends nothing for a request that only read its session", async () => {
    const { a } = await pair();
    const s = a.createSession();
    s.attributes.set("user", "alice");
    await a.requestCompleted(s.id);
    const sent = harness.nodes[0].channel.stats.messagesSent;
    for (let i = 0; i < 5; i++) {
      assert.equal(a.findSession(s.id)?.attributes.get("user"), "alice");
      await a.requestCompleted(s.id);
    }
    assert.equal(harness.nodes[0].channel.stats.messagesSent, sent);
  });

  it("delivers a new session together with the attributes set in its first request (async)", async () => {
    const { a, b } = await pair(8);
    const s = a.createSession();
    s.attributes.set("cart", ["book"]);
    await a.requestCompleted(s.id);
    await waitFor(harness.clock, () => b.findSession(s.id) !== undefined, "the session on b", {
      step: 1,
    });
    assert.deepEqual(b.findSession(s.id)?.attributes.get("cart"), ["book"]);
  });

  it("converges when two nodes write the same attribute at once", async () => {
    const { a, b } = await pair();
    const s = a.createSession();
    await a.requestCompleted(s.id);
    await waitFor(harness.clock, () => b.findSession(s.id) !== undefined, "replication");
    a.findSession(s.id)?.attributes.set("x", "from a");
    b.findSession(s.id)?.attributes.set("x", "from b");
    await Promise.all([a.requestCompleted(s.id), b.requestCompleted(s.id)]);
    await harness.clock.advance(100);
    const va = a.findSession(s.id)?.attributes.get("x");
    const vb = b.findSession(s.id)?.attributes.get("x");
    assert.equal(va, vb, "both nodes hold the same value");
    assert.ok(va === "from a" || va === "from b");
  });

  it("never loses a writer's updates while another node serves reads of the session", async () => {
    const { a, b } = await pair();
    const s = a.createSession();
    await a.requestCompleted(s.id);
    await waitFor(harness.clock, () => b.findSession(s.id) !== undefined, "replication");
    for (let i = 1; i <= 50; i++) {
      a.findSession(s.id)?.attributes.set("n", i);
      const reading = b.findSession(s.id)?.attributes.get("n");
      void reading;
      await Promise.all([a.requestCompleted(s.id), b.requestCompleted(s.id)]);
    }
    await harness.clock.advance(100);
    assert.equal(a.findSession(s.id)?.attributes.get("n"), 50);
    assert.equal(b.findSession(s.id)?.attributes.get("n"), 50);
  });

  it("keeps an invalidated session dead when a late delta arrives", async () => {
    const { a, b } = await pair();
    const s = a.createSession();
    s.attributes.set("k", 1);
    const early = a.store.takeDelta(s as StoredSession);
    assert.ok(early);
    await a.invalidate(s.id);
    await waitFor(
      harness.clock,
      () => b.store.isTombstoned((s as StoredSession).base),
      "the tombstone on b",
    );
    assert.equal(b.store.apply(early), undefined, "the late delta is refused");
    assert.equal(b.findSession(s.id), undefined);
  });

  it("expires an idle session once, on the node its id routes to, and replicates that", async () => {
    const { a, b } = await pair();
    const s = a.createSession();
    s.maxInactiveInterval = 60;
    await a.requestCompleted(s.id);
    await waitFor(harness.clock, () => b.findSession(s.id) !== undefined, "replication");
    const bSent = harness.nodes[1].channel.stats.messagesSent;
    await waitFor(harness.clock, () => b.findSession(s.id) === undefined, "expiry on b", {
      step: 5000,
      maxSteps: 40,
    });
    assert.equal(a.findSession(s.id), undefined);
    assert.equal(harness.nodes[1].channel.stats.messagesSent, bSent, "b decided nothing itself");
  });

  it("streams 100,000 sessions to a joining node in chunks", async () => {
    harness = deltaHarness({ sendOptions: 6 });
    const a = await harness.createNode();
    await a.start();
    const payload = "x".repeat(100);
    for (let i = 0; i < 100_000; i++) {
      const s = a.createSession();
      s.attributes.set("v", payload);
      a.store.takeDelta(s as StoredSession); // as if replicated to nobody: no members yet
    }
    const late = await harness.createNode();
    await late.start();
    assert.equal(late.sessionCount, 100_000);
    assert.ok(late.counters.received >= 200, `in chunks: ${late.counters.received} messages`);
  });
});

describe("DeltaManager session listeners", () => {
  let harness: DeltaHarness;
  afterEach(() => harness?.teardown());

  it("fire where a change happens and, with notifyListenersOnReplication, on replicas", async () => {
    harness = deltaHarness({ sendOptions: 6 });
    const a = await harness.createNode();
    await a.start();
    const b = await harness.createNode();
    await b.start();
    const seen: string[] = [];
    const record = (node: string) => ({
      created: (_s: unknown, replicated: boolean) => seen.push(`${node} created ${replicated}`),
      attributeChanged: (_s: unknown, name: string, value: unknown, replicated: boolean) =>
        seen.push(`${node} ${name}=${String(value)} ${replicated}`),
      destroyed: (_s: unknown, reason: string, replicated: boolean) =>
        seen.push(`${node} destroyed ${reason} ${replicated}`),
    });
    a.addSessionListener(record("a"));
    b.addSessionListener(record("b"));
    const s = a.createSession();
    s.attributes.set("user", "alice");
    await a.requestCompleted(s.id);
    await a.invalidate(s.id);
    await waitFor(harness.clock, () => seen.includes("b destroyed invalidated true"), "b's hook");
    assert.deepEqual(seen, [
      "a created false",
      "a user=alice false",
      "b created true",
      "b user=alice true",
      "a destroyed invalidated false",
      "b destroyed invalidated true",
    ]);
  });

  it("stay quiet on replicas without notifyListenersOnReplication", async () => {
    harness = deltaHarness({ sendOptions: 6, attributes: { notifyListenersOnReplication: false } });
    const a = await harness.createNode();
    await a.start();
    const b = await harness.createNode();
    await b.start();
    const seen: string[] = [];
    b.addSessionListener({ created: () => seen.push("created") });
    const s = a.createSession();
    await a.requestCompleted(s.id);
    await waitFor(harness.clock, () => b.findSession(s.id) !== undefined, "replication");
    assert.deepEqual(seen, []);
  });
});

describe("DeltaManager under bad replication messages", () => {
  let harness: DeltaHarness;
  afterEach(() => harness?.teardown());

  it("refuses a malformed delta with a coded fail-ack and applies nothing", async () => {
    harness = deltaHarness({ sendOptions: 6 });
    const a = await harness.createNode();
    await a.start();
    const b = await harness.createNode();
    await b.start();
    const channel = harness.nodes[0].channel;
    const bad = [
      { id: "not-an-id", created: 0, accessed: 0, interval: 0, meta: [1, "x"], attrs: [] },
      { id: `${"a".repeat(32)}.n1`, created: 0, accessed: 0, interval: 0, meta: "v", attrs: [] },
      {
        id: `${"b".repeat(32)}.n1`,
        created: 0,
        accessed: 0,
        interval: 0,
        meta: [1, "x"],
        attrs: [["k"]],
      },
    ];
    for (const d of bad) {
      await assert.rejects(
        channel.send(channel.getMembers(), { cdm: 1, ctx: "/", t: "delta", d }, 6),
        /SESSION_ERR_REPLICATION/,
      );
    }
    assert.equal(b.sessionCount, 0);
    // b still replicates normally afterwards.
    const s = a.createSession();
    s.attributes.set("ok", true);
    await a.requestCompleted(s.id);
    assert.equal(b.findSession(s.id)?.attributes.get("ok"), true);
  });
});

describe("DeltaManager state transfer", () => {
  let harness: DeltaHarness;
  afterEach(() => harness?.teardown());

  it("gives the state to two nodes that join at the same moment", async () => {
    harness = deltaHarness({ sendOptions: 6 });
    const a = await harness.createNode();
    await a.start();
    for (let i = 0; i < 3; i++) {
      const s = a.createSession();
      s.attributes.set("i", i);
      await a.requestCompleted(s.id);
    }
    const b = await harness.createNode();
    const c = await harness.createNode();
    // Each may ask the other first; a fellow joiner answers "busy" instead of an empty state.
    await Promise.all([b.start(), c.start()]);
    assert.equal(b.sessionCount, 3);
    assert.equal(c.sessionCount, 3);
  });

  it("starts a cluster of nodes that all join at once, with nothing to fetch", async () => {
    harness = deltaHarness({ sendOptions: 6 });
    const a = await harness.createNode();
    const b = await harness.createNode();
    await Promise.all([a.start(), b.start()]);
    assert.deepEqual([a.sessionCount, b.sessionCount], [0, 0]);
  });

  it("gets the state even when a member it asks cannot answer", async () => {
    harness = deltaHarness({ sendOptions: 6, attributes: { stateTransferTimeout: 5 } });
    const a = await harness.createNode();
    await a.start();
    const s = a.createSession();
    s.attributes.set("k", "v");
    await a.requestCompleted(s.id);
    const c = await harness.createNode();
    await c.start();
    // a stays a member (it heartbeats) but its receiver is gone: the request to it fails.
    await harness.nodes[0].channel.stop(StartOptions.SND_RX_SEQ);
    const joiner = await harness.createNode();
    let started = false;
    const starting = joiner.start().then(() => started = true);
    await waitFor(harness.clock, () => started, "the joiner's state", { step: 1000, maxSteps: 30 });
    await starting;
    assert.equal(joiner.findSession(s.id)?.attributes.get("k"), "v");
    // Whichever it asked first, a failure (if a came first) was counted and another member asked.
    assert.ok(joiner.counters.transferFailures <= 1);
    assert.equal(joiner.counters.transfers, 1);
  });
});
