/**
 * The compact form of state-transfer chunks: sessions arrive whole and exactly as stored (values,
 * versions with their writers' node ids, removed attributes, meta), interned node ids and names
 * never mixed up, local attributes left out, and malformed chunks refused whole with a coded error.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeValue, encodeValue } from "../../../src/kernel/codec.ts";
import { newSessionId } from "../../../src/session/ids.ts";
import {
  forEachVersion,
  SessionStore,
  StoredSession,
  type Version,
} from "../../../src/session/store.ts";
import {
  applyCompact,
  checkCompact,
  type CompactSessions,
  compactSessions,
  CompactWriter,
} from "./compact.ts";

const NODES = ["a".repeat(32), "b".repeat(32), "c".repeat(32)];

/** A store holding `count` sessions whose attributes were written by three different nodes. */
function source(count: number): SessionStore {
  const store = new SessionStore(NODES[0]);
  for (let i = 0; i < count; i++) {
    const s = new StoredSession(newSessionId(`r${i % 3}`), 1_700_000_000_000 + i, 600 + i);
    s.lastAccessedTime = 1_700_000_500_000 + i;
    store.add(s);
    // Each attribute from another writer, so every session holds versions of several node ids.
    store.apply({
      id: s.id,
      created: s.creationTime,
      accessed: s.lastAccessedTime,
      interval: s.maxInactiveInterval,
      meta: [10 + i, NODES[(i + 1) % 3]],
      attrs: [
        ["user", `user ${i}`, [20 + i, NODES[i % 3]]],
        ["cart", { items: [i, i + 1], at: new Date(i) }, [30 + i, NODES[(i + 2) % 3]]],
        ["gone", null, [40 + i, NODES[(i + 1) % 3]], 1],
      ],
    });
    s.attributes.set("mine", "kept on this node");
    s.setLocal("mine", true);
    store.takeDelta(s); // gives `mine` no version: it is local
  }
  return store;
}

function chunkOf(store: SessionStore, only?: ReadonlySet<string>): CompactSessions {
  const writer = new CompactWriter(store);
  for (const s of store.sessions()) writer.add(s, only);
  return { nodes: writer.nodes, names: writer.names, c: writer.c };
}

/** Every version of a session as `name: [counter, node]`, and its meta. */
function versions(store: SessionStore, s: StoredSession): Record<string, Version> {
  const out: Record<string, Version> = { "(meta)": store.unpack(s.metaVersion) };
  forEachVersion(s.versions, (name, v) => out[name] = store.unpack(v));
  return out;
}

describe("compact state chunks", () => {
  it("carry each node id and name once, and rebuild every session as stored", () => {
    const from = source(30);
    const chunk = decodeValue(encodeValue(chunkOf(from))) as CompactSessions;
    assert.deepEqual([...chunk.nodes].sort(), NODES, "each node id once");
    assert.deepEqual([...chunk.names].sort(), ["cart", "gone", "user"], "each name once");
    assert.equal(checkCompact(chunk), 30);
    const to = new SessionStore("d".repeat(32));
    applyCompact(to, chunk);
    assert.equal(to.size, 30);
    for (const s of from.sessions()) {
      const copy = to.get(s.id)!;
      assert.ok(copy, s.id);
      assert.equal(copy.id, s.id);
      assert.deepEqual(
        [copy.creationTime, copy.lastAccessedTime, copy.maxInactiveInterval],
        [s.creationTime, s.lastAccessedTime, s.maxInactiveInterval],
      );
      assert.deepEqual(versions(to, copy), versions(from, s), "versions keep their writers");
      assert.deepEqual(copy.attributes.get("user"), s.attributes.get("user"));
      assert.deepEqual(copy.attributes.get("cart"), s.attributes.get("cart"));
      assert.equal(copy.attributes.has("gone"), false, "removed stays removed");
      assert.equal(copy.attributes.has("mine"), false, "local attributes stay home");
    }
  });

  it("merges by version into sessions the joiner holds already", () => {
    const from = source(3);
    const [first] = from.sessions();
    const to = new SessionStore("d".repeat(32));
    // The joiner got a newer "user" by replication meanwhile: the older one must not win.
    to.apply({
      id: first.id,
      created: first.creationTime,
      accessed: first.lastAccessedTime,
      interval: first.maxInactiveInterval,
      meta: [1, NODES[2]],
      attrs: [["user", "newer", [1000, NODES[2]]]],
    });
    applyCompact(to, chunkOf(from));
    const copy = to.get(first.id)!;
    assert.equal(copy.attributes.get("user"), "newer");
    assert.deepEqual(copy.attributes.get("cart"), first.attributes.get("cart"));
  });

  it("carries only the attributes named for a session cut apart", () => {
    const from = source(1);
    const chunk = chunkOf(from, new Set(["cart"]));
    assert.deepEqual(chunk.names, ["cart"]);
    const to = new SessionStore("d".repeat(32));
    applyCompact(to, chunk);
    const [copy] = to.sessions();
    assert.deepEqual([...copy.attributes.keys()], ["cart"]);
  });

  it("splits into the flat list of each session", () => {
    const chunk = chunkOf(source(4));
    const sessions = compactSessions(chunk.c);
    assert.equal(sessions.length, 4);
    assert.deepEqual(sessions.flat(), chunk.c);
  });

  it("refuses a malformed chunk with SESSION_ERR_REPLICATION, naming what is wrong", () => {
    const good = chunkOf(source(2));
    const refused = (change: (c: CompactSessions) => void, what: RegExp) => {
      const bad = structuredClone(good);
      change(bad);
      assert.throws(
        () => checkCompact(bad),
        (err: { code?: string; message?: string }) =>
          err.code === "SESSION_ERR_REPLICATION" && what.test(err.message ?? ""),
      );
    };
    refused((c) => c.c[0] = "not an id", /session id/);
    refused((c) => c.c[1] = "yesterday", /created, accessed or interval/);
    refused((c) => c.c[4] = -1, /meta version/);
    refused((c) => c.c[4] = Number.MAX_SAFE_INTEGER, /meta version/);
    refused((c) => c.c[5] = 3, /meta version/);
    refused((c) => c.c[6] = 1e9, /attribute count/);
    refused((c) => c.c[7] = 99, /attribute 0/);
    refused((c) => c.c[9] = 7, /the version of/);
    refused((c) => c.c.length = 9, /cut short|attribute/);
    refused((c) => c.nodes[0] = "x".repeat(65), /node id/);
    refused((c) => c.names[0] = 5 as unknown as string, /name/);
    refused((c) => (c as { c?: unknown }).c = "no", /not a list/);
    // A value `set` would refuse: undefined is not data.
    refused((c) => {
      const at = c.c.findIndex((x, i) => i > 7 && typeof x === "string" && x.startsWith("user"));
      c.c[at] = undefined;
    }, /cannot be replicated/);
  });
});
