/**
 * Anti-entropy on the in-memory network: after a partition where both sides served, every
 * session converges (writes of both sides, an invalidation of one side), repairs are counted,
 * and a round between stores that agree costs one digest and an empty answer.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { waitFor } from "../../../src/conformance/wait.ts";
import { type DeltaHarness, deltaHarness, startPair } from "../../../src/testing/delta_harness.ts";
import { MemoryNetwork } from "../../membership/memory/network.ts";
import { SessionStore } from "../../../src/session/store.ts";
import { newSessionId } from "../../../src/session/ids.ts";
import type { Member } from "../../../src/interfaces/member.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { BUCKETS, digest } from "./digest.ts";
import { checkEntropy, MAX_ENTRIES } from "./anti_entropy.ts";
import type { DeltaManager } from "./manager.ts";

/** Sessions and tombstones as a replica holds them, to compare replicas. */
function view(m: DeltaManager): string {
  const sessions = [...m.store.sessions()].map((s) => [
    s.id,
    s.maxInactiveInterval,
    [
      ...s.attributes,
    ].sort(),
  ]).sort();
  return JSON.stringify({ sessions, tombstones: [...m.store.tombstones()].map(([b]) => b).sort() });
}

async function write(m: DeltaManager, id: string, name: string, value: unknown): Promise<void> {
  m.store.get(id)!.attributes.set(name, value);
  await m.requestCompleted(id);
}

/** A started pair whose first session (attribute `x` = 1) b holds; `apart()` cuts b off. */
async function pairWithSession(harness: DeltaHarness) {
  const { a, b } = await startPair(harness);
  const [na, nb] = harness.nodes;
  const s = a.createSession();
  s.attributes.set("x", 1);
  await a.requestCompleted(s.id);
  await waitFor(harness.clock, () => b.store.get(s.id) !== undefined, "b to hold the session");
  const network = MemoryNetwork.named(harness.network);
  const port = nb.channel.getLocalMember().port;
  return {
    a,
    b,
    s,
    apart: async () => {
      network.isolate(port);
      await waitFor(
        harness.clock,
        () => na.members().length === 0 && nb.members().length === 0,
        "the partition to be seen",
      );
    },
    heal: () => network.heal(port),
  };
}

describe("DeltaManager anti-entropy", () => {
  let harness: DeltaHarness;
  afterEach(() => harness?.teardown());

  it("converges after a partition where both sides wrote and one invalidated", async () => {
    harness = deltaHarness({ sendOptions: 8, attributes: { antiEntropyInterval: 0 } });
    const { a, b, s: s1, apart, heal } = await pairWithSession(harness);
    const s2 = a.createSession();
    s2.attributes.set("x", 1);
    await a.requestCompleted(s2.id);
    await waitFor(harness.clock, () => b.store.size === 2, "b to hold both sessions");
    await apart();
    await write(a, s1.id, "x", 2);
    await write(b, s1.id, "y", 3);
    await b.invalidate(s2.id);
    const s3 = a.createSession();
    s3.attributes.set("z", "new");
    await a.requestCompleted(s3.id);
    assert.notEqual(view(a), view(b), "the sides differ while apart");

    heal();
    await waitFor(harness.clock, () => view(a) === view(b), "the replicas to converge", {
      maxSteps: 600,
    });
    assert.deepEqual(Object.fromEntries(a.store.get(s1.id)!.attributes), { x: 2, y: 3 });
    assert.equal(a.store.get(s2.id), undefined, "the invalidation won on a");
    assert.equal(b.store.get(s3.id)?.attributes.get("z"), "new");
    const stats = { a: a.stats, b: b.stats };
    assert.ok(stats.a.antiEntropyRounds + stats.b.antiEntropyRounds >= 1, "rounds counted");
    assert.ok(stats.a.antiEntropyRepaired >= 2, "a repaired s1 and s2"); // y, and s2's end
    assert.ok(stats.b.antiEntropyRepaired >= 2, "b repaired s1 and s3");
    assert.ok(stats.a.antiEntropyBytes > 0);
  });

  it("counts a write lost to the other side's concurrent one as a conflict", async () => {
    harness = deltaHarness({ sendOptions: 8, attributes: { antiEntropyInterval: 0 } });
    const { a, b, s, apart, heal } = await pairWithSession(harness);
    await apart();
    await write(a, s.id, "x", "a");
    await write(b, s.id, "x", "b");
    heal();
    await waitFor(harness.clock, () => view(a) === view(b), "convergence", { maxSteps: 600 });
    assert.equal(a.stats.conflicts + b.stats.conflicts, 1, "one side's write lost, once");
  });

  it("a periodic round repairs a delta lost without any partition", async () => {
    harness = deltaHarness({ sendOptions: 8, attributes: { antiEntropyInterval: 5 } });
    const { a, b } = await startPair(harness);
    const s = a.createSession();
    s.attributes.set("x", 1);
    // The delta never leaves: applied here only (as if its send had failed).
    a.store.takeDelta(s);
    assert.equal(b.store.size, 0);
    await waitFor(harness.clock, () => view(a) === view(b), "a periodic round", { maxSteps: 200 });
    assert.equal(b.store.get(s.id)?.attributes.get("x"), 1);
  });

  it("a round between stores that agree sends a digest and an empty answer only", async () => {
    harness = deltaHarness({ sendOptions: 6, attributes: { antiEntropyInterval: 0 } });
    const { a, b } = await startPair(harness);
    for (let i = 0; i < 50; i++) {
      const s = a.createSession();
      s.attributes.set("n", i);
      await a.requestCompleted(s.id);
    }
    await waitFor(harness.clock, () => view(a) === view(b), "replication");
    const before = a.stats.antiEntropyBytes;
    const member = harness.nodes[0].members()[0] as Member;
    assert.equal(await a.antiEntropy(member), 0);
    const digestBytes = a.stats.antiEntropyBytes - before;
    assert.ok(digestBytes < BUCKETS * 12, `a digest of ${digestBytes} bytes`);
    assert.equal(b.stats.antiEntropyRepaired + a.stats.antiEntropyRepaired, 0);
  });
});

describe("digest", () => {
  it("differs in the bucket of a session whose attribute version differs", () => {
    const one = new SessionStore("aa");
    const id = newSessionId("n1");
    const s = one.apply({
      id,
      created: 1,
      accessed: 1,
      interval: 60,
      meta: [1, "aa"],
      attrs: [["x", 1, [2, "aa"]]],
    })!;
    const two = new SessionStore("bb");
    two.apply(one.full(s));
    assert.deepEqual(digest(one), digest(two), "equal stores, equal digests");
    two.apply({ ...one.full(s), attrs: [["x", 5, [3, "bb"]]] });
    const [d1, d2] = [digest(one), digest(two)];
    assert.equal(d1.filter((h, i) => h !== d2[i]).length, 1, "one bucket differs");
    two.invalidate(id, Date.now() + 1000);
    one.invalidate(id, Date.now() + 5000);
    assert.deepEqual(digest(one), digest(two), "tombstones hash alike whatever their expiry");
  });
});

describe("anti-entropy messages", () => {
  const refuses = (m: unknown) =>
    assert.throws(
      () => checkEntropy(m as never, Date.now()),
      (e: unknown) => e instanceof ConclaveError && e.code === "SESSION_ERR_REPLICATION",
    );
  it("are refused whole when malformed or beyond bounds", () => {
    refuses({ t: "ae", q: "r", h: [1, 2] });
    refuses({ t: "ae", q: "x".repeat(65), h: new Array(BUCKETS).fill(0) });
    refuses({ t: "ae", q: "r", h: new Array(BUCKETS).fill(-1) });
    refuses({ t: "aes", q: "r", s: [[0, [["nothex", 1]]]] });
    refuses({ t: "aes", q: "r", s: [[1, [["0000" + "0".repeat(28), 1]]]] }); // wrong bucket
    const many = Array.from({ length: MAX_ENTRIES + 1 }, () => "0".repeat(32));
    refuses({ t: "aed", q: "r", d: [], g: [], w: many });
    refuses({ t: "aed", q: "r", d: [{ id: "x" }], g: [] });
    refuses({ t: "aed", q: "r", d: [], g: [["0".repeat(32), "soon"]] });
    checkEntropy({ t: "ae", q: "r", h: new Array(BUCKETS).fill(7) }, Date.now());
    checkEntropy({ t: "aes", q: "r", s: [[0, [["0".repeat(32), 5]]]] }, Date.now());
  });
});
