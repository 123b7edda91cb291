/**
 * Session ids as cookies carry them: well-formed ids parse to their base and route, anything else
 * is no id, and the parse kept for the last id never answers for another one.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSessionId, newSessionId, parseSessionId, withRoute } from "./ids.ts";

const BASE = "0123456789abcdef".repeat(2);
/** Malformed ids: no session. */
const MALFORMED = [
  undefined,
  "",
  BASE.slice(1),
  BASE.toUpperCase(),
  `${BASE}.`,
  `${BASE}.no/slash`,
  `${BASE}.${"r".repeat(65)}`,
  `${BASE}.node1\n`,
  "x".repeat(10_000),
];

describe("parseSessionId", () => {
  it("splits a well-formed id into base and route, and refuses malformed ones", () => {
    assert.deepEqual(parseSessionId(`${BASE}.node1`), { base: BASE, route: "node1" });
    assert.deepEqual(parseSessionId(BASE), { base: BASE, route: "" });
    for (const bad of MALFORMED) {
      assert.equal(parseSessionId(bad), undefined, JSON.stringify(bad)?.slice(0, 40));
    }
  });

  it("is what isSessionId accepts, and nothing else", () => {
    const wellFormed = [`${BASE}.node1`, BASE, `${BASE}.${"r".repeat(64)}`, `${BASE}.a_B-9`];
    for (const id of wellFormed) assert.ok(isSessionId(id) && parseSessionId(id), id);
    for (const id of MALFORMED) assert.equal(isSessionId(id), false, JSON.stringify(id));
    for (const notText of [42, null, {}, [BASE]]) assert.equal(isSessionId(notText), false);
  });

  it("answers each id for itself when ids alternate (the last parse is kept, never reused for another)", () => {
    const ids = Array.from({ length: 50 }, (_, i) => newSessionId(`n${i % 3}`));
    for (let round = 0; round < 3; round++) {
      for (const id of [...ids, ...ids.toReversed(), "junk", ids[0], ids[0]]) {
        const parsed = parseSessionId(id);
        if (id === "junk") {
          assert.equal(parsed, undefined);
          continue;
        }
        assert.equal(`${parsed?.base}.${parsed?.route}`, id);
      }
    }
  });

  it("hands out a parse nobody can change for the next caller", () => {
    const first = parseSessionId(`${BASE}.a`);
    assert.throws(() => {
      (first as { route: string }).route = "b";
    }, TypeError);
    assert.equal(parseSessionId(`${BASE}.a`)?.route, "a");
    assert.equal(withRoute(`${BASE}.a`, "b"), `${BASE}.b`);
  });
});
