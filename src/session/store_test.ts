/**
 * SessionStore's merge rules, whatever form it keeps versions and names in: the higher version wins
 * per attribute, ties go to the higher node id, a tombstone stays dead, and what `full()` sends is
 * exactly the versions that were applied.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeValue, encodeValue } from "../kernel/codec.ts";
import {
  compareVersions,
  counterCeiling,
  type SessionDelta,
  SessionStore,
  StoredSession,
} from "./store.ts";
import type { Version } from "./store.ts";

const A = "a".repeat(32);
const B = "b".repeat(32);
const ID = `${"0123456789abcdef".repeat(2)}.node1`;

/** The delta as another node's bytes arrive: a decoded copy, sharing nothing with `d`. */
function wire(d: SessionDelta): SessionDelta {
  return (decodeValue(encodeValue({ t: "delta", d })) as { d: SessionDelta }).d;
}

function delta(attrs: SessionDelta["attrs"], meta: Version = [1, A], id = ID): SessionDelta {
  return { id, created: 1000, accessed: 2000, interval: 1800, meta, attrs };
}

/** Attribute name to `[value, version, removed?]`, from what `full()` would send. */
function contents(store: SessionStore, id = ID): Map<string, unknown[]> {
  const session = store.get(id);
  assert.ok(session, "session present");
  return new Map(store.full(session).attrs.map(([name, ...rest]) => [name, rest]));
}

describe("SessionStore", () => {
  it("converges on the same attributes whatever order deltas arrive in", () => {
    const d1 = delta([["x", "one", [5, A]], ["y", "kept", [6, A]]]);
    const d2 = delta([["x", "two", [7, B]], ["y", null, [8, B], 1]], [9, B]);
    const forward = new SessionStore("c");
    forward.apply(wire(d1));
    forward.apply(wire(d2));
    const backward = new SessionStore("c");
    backward.apply(wire(d2));
    backward.apply(wire(d1));
    assert.deepEqual(contents(backward), contents(forward));
    assert.deepEqual(
      contents(forward),
      new Map([["x", ["two", [7, B]]], ["y", [null, [8, B], 1]]]),
    );
    assert.equal(forward.get(ID)?.attributes.has("y"), false);
    assert.equal(backward.stats.stale, 2);
  });

  it("breaks a tie of counters by the node id, in either order", () => {
    for (const order of [[A, B], [B, A]]) {
      const store = new SessionStore("c");
      for (const node of order) store.apply(wire(delta([["x", node, [3, node]]])));
      assert.equal(store.get(ID)?.attributes.get("x"), B);
      assert.deepEqual(store.full(store.get(ID)!).attrs[0][2], [3, B]);
    }
  });

  it("sends in full() exactly the versions and meta it applied", () => {
    const origin = new SessionStore(A);
    const session = new StoredSession(ID, 1000, 60);
    session.unsent = true;
    origin.add(session);
    session.attributes.set("user", "alice");
    session.attributes.set("cart", [1, 2]);
    origin.takeDelta(session);
    session.attributes.delete("cart");
    session.attributes.set("user", "bob");
    const second = origin.takeDelta(session);
    assert.ok(second);
    const replica = new SessionStore(B);
    replica.apply(wire(origin.full(session)));
    const copy = replica.get(ID)!;
    assert.deepEqual(replica.full(copy), origin.full(session));
    assert.deepEqual(replica.full(copy).meta, [3, A]);
    assert.deepEqual(second.attrs, [["cart", null, [4, A], 1], ["user", "bob", [5, A]]]);
  });

  it("keeps exact versions from more node ids than it numbers", () => {
    const store = new SessionStore("c");
    const nodes = Array.from({ length: 1500 }, (_, i) => i.toString(16).padStart(32, "0"));
    for (const node of nodes) {
      store.apply(wire(delta([["x", node, [4, node]], [node, 1, [1, node]]])));
    }
    const all = contents(store);
    assert.equal(all.size, 1501);
    const top = nodes.at(-1)!;
    assert.deepEqual(all.get("x"), [top, [4, top]]);
    for (const node of nodes) assert.deepEqual(all.get(node), [1, [1, node]]);
    // A later write by a node numbered early, one by a node past the numbering, one stale.
    store.apply(wire(delta([["x", "early", [5, nodes[2]]]])));
    assert.deepEqual(contents(store).get("x"), ["early", [5, nodes[2]]]);
    store.apply(wire(delta([["x", "late", [5, nodes[1400]]]])));
    assert.deepEqual(contents(store).get("x"), ["late", [5, nodes[1400]]]);
    store.apply(wire(delta([["x", "stale", [5, nodes[1399]]]])));
    assert.equal(store.get(ID)?.attributes.get("x"), "late");
  });

  it("compares counters too large to pack like any other", () => {
    const big = counterCeiling(Date.now()) - 10;
    assert.ok(big * 1024 > Number.MAX_SAFE_INTEGER, "too large to pack");
    const store = new SessionStore("c");
    store.apply(wire(delta([["x", "big", [big, A]]], [big, A])));
    store.apply(wire(delta([["x", "smaller node", [big, "0"]]])));
    store.apply(wire(delta([["x", "lower", [2 ** 44, B]]])));
    assert.deepEqual(contents(store).get("x"), ["big", [big, A]]);
    store.apply(wire(delta([["x", "bigger node", [big, B]]])));
    assert.deepEqual(contents(store).get("x"), ["bigger node", [big, B]]);
    assert.deepEqual(store.full(store.get(ID)!).meta, [big, A]);
    assert.deepEqual(store.nextVersion(), [big + 1, "c"]);
  });

  it("merges a session of many attributes as one of few", () => {
    const names = Array.from({ length: 40 }, (_, i) => `attr${i}`);
    const store = new SessionStore("c");
    store.apply(wire(delta(names.map((n, i) => [n, `a${i}`, [10 + i, A]]))));
    store.apply(wire(delta(names.map((n, i) => [n, `b${i}`, [i % 2 === 0 ? 100 : 1, B]]))));
    const all = contents(store);
    assert.equal(all.size, 40);
    names.forEach((n, i) => {
      assert.deepEqual(all.get(n), i % 2 === 0 ? [`b${i}`, [100, B]] : [`a${i}`, [10 + i, A]]);
    });
    assert.equal(store.stats.applied, 60);
    assert.equal(store.stats.stale, 20);
  });

  it("takes id and interval only from a newer meta version", () => {
    const store = new SessionStore("c");
    const moved = `${ID.split(".")[0]}.node2`;
    store.apply(wire(delta([], [5, A])));
    store.apply(wire({ ...delta([], [4, B], moved), interval: 5 }));
    assert.equal(store.get(ID)?.id, ID);
    assert.equal(store.get(ID)?.maxInactiveInterval, 1800);
    store.apply(wire({ ...delta([], [5, B], moved), interval: 5 }));
    assert.equal(store.get(moved)?.id, moved);
    assert.equal(store.get(ID)?.maxInactiveInterval, 5);
    assert.equal(store.size, 1);
  });

  it("keeps a tombstoned session dead", () => {
    const store = new SessionStore("c");
    store.apply(wire(delta([["x", 1, [1, A]]])));
    store.invalidate(ID, 10);
    assert.equal(store.apply(wire(delta([["x", 2, [9, A]]]))), undefined);
    assert.equal(store.size, 0);
    store.pruneTombstones(10);
    assert.equal(store.apply(wire(delta([["x", 2, [9, A]]])))?.attributes.get("x"), 2);
  });

  it("keeps local names out of deltas until a replicated write of the name", () => {
    const store = new SessionStore(A);
    const session = new StoredSession(ID, 0, 60);
    store.add(session);
    assert.equal(session.isLocal("secret"), false);
    session.setLocal("secret", true);
    session.attributes.set("secret", "s");
    session.attributes.set("shared", 1);
    assert.deepEqual([...session.local], ["secret"]);
    assert.deepEqual(store.takeDelta(session)?.attrs.map((a) => a[0]), ["shared"]);
    store.apply(wire(delta([["secret", "from b", [99, B]]])));
    assert.equal(session.isLocal("secret"), false);
    assert.equal(session.attributes.get("secret"), "from b");
    assert.equal(session.attributes.dirty, undefined);
  });

  it("orders versions by counter, then node", () => {
    assert.ok(compareVersions([2, "a"], [1, "z"]) > 0);
    assert.ok(compareVersions([1, "a"], [1, "b"]) < 0);
    assert.equal(compareVersions([1, "a"], [1, "a"]), 0);
  });
});
