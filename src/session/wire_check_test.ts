/**
 * Session data from peers is checked as `set` checks it, and its versions for range (issue 13):
 * no value that set() refuses is ever stored, and no counter a peer sends can make this node's
 * own versions unacceptable to the others.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConclaveError } from "../errors.ts";
import { newSessionId } from "./ids.ts";
import { counterCeiling, maxPeerCounter, SessionStore } from "./store.ts";
import { checkValue, MAX_VALUE_CONTAINERS, MAX_VALUE_DEPTH, MAX_VALUE_ITEMS } from "./values.ts";
import { checkDelta } from "./wire_check.ts";

const NOW = Date.UTC(2026, 11, 6);

function deltaOf(value: unknown, counter = 1) {
  return {
    id: newSessionId("n1"),
    created: 0,
    accessed: 0,
    interval: 60,
    meta: [counter, "peer"],
    attrs: [["k", value, [counter, "peer"]]],
  };
}

function isCode(code: string, message?: RegExp) {
  return (e: unknown) =>
    e instanceof ConclaveError && e.code === code && (!message || message.test(e.message));
}

function deep(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe("values from peers, checked as set() checks them", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const refusedBoth: [string, unknown, RegExp][] = [
    ["a cycle", cyclic, /refers back to itself/],
    ["an Error", { e: new Error("x") }, /instance of Error/],
    ["a RegExp", [/a/], /instance of RegExp/],
    ["a Float64Array", new Map([["f", new Float64Array(2)]]), /instance of Float64Array/],
    ["a Buffer-like subclass", new (class Bytes extends Uint8Array {})(2), /instance of Bytes/],
    ["a bigint beyond 64 bits", 2n ** 64n, /bigint of more than 64 bits/],
    ["a negative bigint beyond 64 bits", -(2n ** 64n) - 1n, /bigint of more than 64 bits/],
    ["a value too deep", deep(MAX_VALUE_DEPTH + 1), /nesting deeper than 64/],
    [
      "too many containers",
      Array.from({ length: MAX_VALUE_CONTAINERS }, () => ({})),
      /more than \d+ arrays, objects/,
    ],
    ["too many items", new Array(MAX_VALUE_ITEMS + 1).fill(0), /more than \d+ items/],
    [
      "a Map of too many entries",
      new Map(Array.from({ length: MAX_VALUE_CONTAINERS }, (_, i) => [i, 0])),
      /more than \d+ arrays, objects, entries/,
    ],
    ["a function", { f: () => 1 }, /a function/],
    ["an own __proto__", JSON.parse('{"__proto__": 1}'), /__proto__/],
  ];
  for (const [what, value, message] of refusedBoth) {
    it(`refuses ${what} at set and on apply, with the same words`, () => {
      assert.throws(() => checkValue("k", value), isCode("SESSION_ERR_VALUE", message));
      assert.throws(
        () => checkDelta(deltaOf(value), NOW),
        isCode("SESSION_ERR_REPLICATION", message),
      );
    });
  }

  it("accepts the edges of what is allowed", () => {
    for (
      const value of [
        2n ** 64n - 1n,
        -(2n ** 64n),
        deep(MAX_VALUE_DEPTH),
        { shared: [1], again: [1] },
        new Set([new Map([[{ k: 1 }, new Date(0)]])]),
        new Uint8Array(3),
        [undefined, null],
      ]
    ) {
      checkValue("k", value);
      checkDelta(deltaOf(value), NOW);
    }
  });

  it("names the path to the offending part", () => {
    assert.throws(
      () => checkValue("cart", { items: [{ id: 1 }, new Map([["when", /x/]])] }),
      /at cart\.items\[1\]\.get\("when"\) found an instance of RegExp/,
    );
  });

  it("checks nothing of a removed attribute's placeholder value", () => {
    const d = deltaOf(null);
    d.attrs[0].push(1);
    checkDelta(d, NOW);
  });
});

describe("versions from peers", () => {
  it("refuses counters that would make this node's own versions unsafe", () => {
    for (const counter of [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 3, 2 ** 52]) {
      assert.throws(
        () => checkDelta(deltaOf(1, counter), NOW),
        isCode("SESSION_ERR_REPLICATION", /counter of 0 to \d+ \(got \d+\)/),
      );
    }
    checkDelta(deltaOf(1, maxPeerCounter(NOW)), NOW);
    assert.throws(() => checkDelta(deltaOf(1, maxPeerCounter(NOW) + 1), NOW));
  });

  it("bounds counters by a ceiling that grows with time, faster than any cluster writes", () => {
    assert.equal(counterCeiling(0), 2 ** 40, "a clock at 1970 still accepts 2^40");
    assert.equal(counterCeiling(NOW + 1000) - counterCeiling(NOW), 1_000_000, "1e6 a second");
    assert.ok(counterCeiling(Date.UTC(2300, 0, 1)) < 2 ** 53 - 2 ** 50, "safe for centuries");
    assert.equal(counterCeiling(8.64e15), 2 ** 52, "whatever the clock says");
    assert.ok(maxPeerCounter(NOW) - counterCeiling(NOW) >= 60_000_000, "a minute of skew");
  });

  it("adopts a peer's counter only up to its own ceiling, so its next version stays accepted", () => {
    const store = new SessionStore("me");
    const high = maxPeerCounter(Date.now());
    const d = deltaOf("v", high);
    checkDelta(d);
    store.apply(d as never);
    const [next] = store.nextVersion();
    assert.ok(next <= counterCeiling(Date.now()) + 1, `${next} within the ceiling`);
    checkDelta(deltaOf("w", next)); // what every other node will accept
    assert.equal(store.get(d.id)?.attributes.get("k"), "v", "the peer's value is still applied");
  });
});
