import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { UniqueId } from "./unique_id.ts";

describe("UniqueId", () => {
  it("random() gives 16 bytes and ids differ", () => {
    const a = UniqueId.random();
    const b = UniqueId.random();
    assert.equal(a.bytes.length, 16);
    assert.match(a.hex, /^[0-9a-f]{32}$/);
    assert.equal(a.equals(b), false);
  });

  it("equals() compares by value, not identity", () => {
    const a = UniqueId.random();
    const b = new UniqueId(a.bytes);
    assert.notEqual(a, b);
    assert.equal(a.equals(b), true);
  });

  it("parse() reads hex and Tomcat's signed byte-list form alike", () => {
    const hex = UniqueId.parse("000102030405060708090a0b0c0d0eff");
    const list = UniqueId.parse("{0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,-1}");
    assert.equal(hex.equals(list), true);
  });

  it("parse() rejects malformed ids with a RangeError naming the input", () => {
    assert.throws(
      () => UniqueId.parse("abc"),
      (e: unknown) => e instanceof RangeError && /"abc"/.test(e.message),
    );
    assert.throws(() => UniqueId.parse("{1,2,3}"), RangeError);
    assert.throws(() => new UniqueId(new Uint8Array(15)), RangeError);
  });
});
