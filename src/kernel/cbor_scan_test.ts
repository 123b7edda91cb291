/**
 * Channel payloads are data only (SPEC section 7): everything `Session#set` accepts decodes as it
 * was, and anything else a peer can send, however malformed, ends in a value or in
 * CHANNEL_ERR_PAYLOAD, never in another exception, a class instance or a long computation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConclaveError } from "../errors.ts";
import { checkValue, MAX_VALUE_DEPTH } from "../session/values.ts";
import {
  bignum,
  cycle,
  deltaSetting,
  deltaWith,
  instances,
  mutated,
  nested,
  records,
} from "../testing/hostile_bytes.ts";
import { DEFAULT_SCAN_LIMITS, scanCbor } from "./cbor_scan.ts";
import { decodeValue, encodeValue } from "./codec.ts";

/** Every kind of value SPEC section 4 allows, nested. */
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
  fc.string(),
  fc.uint8Array({ maxLength: 20 }),
  fc.date({ min: new Date(0), max: new Date(2 ** 41), noInvalidDate: true }),
);
const { value: dataArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string().filter((k) => k !== "__proto__"), tie("value"), {
      maxKeys: 5,
      noNullPrototype: true,
    }),
    fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 4 }).map((e) => new Map(e)),
    fc.array(tie("value"), { maxLength: 4 }).map((e) => new Set(e)),
  ),
}));

/**
 * Maps and Sets as lists of their entries, in order: Bun's deepEqual does not match Maps whose
 * keys are objects. -0 as 0: cbor-x on Bun writes it as the integer 0.
 */
function ordered(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [ordered(k), ordered(x)]) };
  if (v instanceof Set) return { set: [...v].map(ordered) };
  if (Array.isArray(v)) return v.map(ordered);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ordered(x)]));
  }
  return v;
}

/** An array of `count` copies of one byte-long item. */
function arrayOf(item: number, count: number): Uint8Array {
  const out = new Uint8Array(5 + count).fill(item);
  out.set([0x9a, count >>> 24, (count >> 16) & 0xff, (count >> 8) & 0xff, count & 0xff]);
  return out;
}

function decodesOrRefuses(bytes: Uint8Array): void {
  let value: unknown;
  try {
    value = decodeValue(bytes);
  } catch (e) {
    assert.ok(e instanceof ConclaveError, `a ConclaveError, got ${e}`);
    assert.equal(e.code, "CHANNEL_ERR_PAYLOAD");
    return;
  }
  // What comes back is data that set() would accept (undefined only inside a value).
  checkValue("decoded", [value]);
}

function refused(bytes: Uint8Array, message: RegExp): void {
  assert.throws(
    () => decodeValue(bytes),
    (e: unknown) =>
      e instanceof ConclaveError && e.code === "CHANNEL_ERR_PAYLOAD" && message.test(e.message),
  );
}

describe("payload decoding (scanCbor before cbor-x)", () => {
  it("decodes every value set() accepts as it was", () => {
    fc.assert(
      fc.property(dataArb, (value) => {
        checkValue("v", value);
        const message = { cdm: 1, t: "delta", d: [value] };
        assert.deepEqual(ordered(decodeValue(encodeValue(message))), ordered(message));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses big numbers, cycles, class instances and records, naming what and where", () => {
    refused(bignum(160 * 1024), /at byte 1 found a 163840-byte bignum; expected a byte string/);
    refused(bignum(9), /9-byte bignum/);
    assert.equal(decodeValue(bignum(8)), 2n ** 64n - 1n);
    refused(cycle(), /tag 28/);
    refused(instances.Error(), /tag 27/);
    refused(instances.RegExp(), /tag 27/);
    refused(instances.Float64Array(), /tag 86/);
    refused(records(), /tag 57343|tag 57344/);
  });

  it("refuses what the encoder never writes: indefinite lengths, simple values, odd keys", () => {
    const cases: [number[], RegExp][] = [
      [[0x9f, 0x01, 0xff], /indefinite/],
      [[0x5f, 0x41, 0x00, 0xff], /indefinite/],
      [[0xf0], /simple value 16/],
      [[0xf8, 0x20], /simple value 32/],
      [[0xa1, 0x01, 0x02], /at byte 1 found an unsigned integer; expected a text string key/],
      [[0xc1, 0x1b, 0, 0, 0, 0, 0, 0, 0, 1], /expected an epoch number/],
      [[0xc1, 0x61, 0x78], /expected an epoch number/],
      [[0xd8, 0x40, 0x81, 0x00], /expected a byte string/],
      [[0xd9, 0x01, 0x02, 0xa0], /expected an array/],
      [[0xd9, 0x01, 0x03, 0x80], /expected a map/],
      [[0xc0, 0x61, 0x78], /tag 0/],
      [[0xc4, 0x82, 0x00, 0x00], /tag 4/],
      [[0x01, 0x02], /1 bytes after the value/],
      [[0x82, 0x01], /2 items; expected at most the 1 bytes left/],
      [[0x81, 0xc1], /found the end of the bytes; expected another item/],
      [[0x19, 0x01], /truncated head/],
      [[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], /items; expected at most/],
      [[0x7a, 0x7f, 0xff, 0xff, 0xff], /2147483647-byte string/],
      [[0x1c], /reserved head 0x1c/],
    ];
    for (const [bytes, message] of cases) refused(Uint8Array.from(bytes), message);
  });

  it("caps nesting and item counts", () => {
    assert.doesNotThrow(() => decodeValue(nested(DEFAULT_SCAN_LIMITS.maxDepth)));
    refused(nested(DEFAULT_SCAN_LIMITS.maxDepth + 1), /nesting deeper than 80/);
    refused(nested(1_000_000), /nesting deeper than 80/);
    const small = { maxDepth: 8, maxItems: 999, maxContainers: 10 };
    const scan = (bytes: Uint8Array) => () =>
      scanCbor(bytes, "CHANNEL_ERR_PAYLOAD", "payload", small);
    assert.throws(scan(arrayOf(0, 1000)), /more than 999 items/);
    assert.throws(
      scan(Uint8Array.from([0x8a, ...new Array(10).fill(0x80)])),
      /at byte 10 found more than 10 arrays, maps, map entries and tags/,
    );
    const entries = [0xaa, ...Array.from({ length: 10 }, (_, i) => [0x61, 0x61 + i, 0]).flat()];
    assert.throws(scan(Uint8Array.from(entries)), /at byte 0 found more than 10 arrays, maps/);
    const { maxItems, maxContainers } = DEFAULT_SCAN_LIMITS;
    refused(arrayOf(0x00, maxItems), new RegExp(`more than ${maxItems} items`));
    refused(arrayOf(0x80, maxContainers), new RegExp(`more than ${maxContainers} arrays`));
    assert.equal(
      (decodeValue(arrayOf(0x80, maxContainers - 1)) as unknown[]).length,
      maxContainers - 1,
    );
    assert.ok(DEFAULT_SCAN_LIMITS.maxDepth > MAX_VALUE_DEPTH + 8, "room for the message around");
  });

  it("answers random bytes with a value or CHANNEL_ERR_PAYLOAD", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), decodesOrRefuses), {
      numRuns: 5000,
    });
  });

  it("answers mutated valid messages with a value or CHANNEL_ERR_PAYLOAD", () => {
    const bytes = mutated(dataArb.map((v) => encodeValue({ cdm: 1, d: [v] })));
    fc.assert(fc.property(bytes, decodesOrRefuses), { numRuns: 3000 });
  });

  it("answers hostile deltas made of every kind of tag with a value or a coded error", () => {
    const tagged = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 20 }))
      .map(([tag, rest]) =>
        deltaWith(deltaSetting("x", "k", Uint8Array.from([0xd9, tag >> 8, tag & 0xff, ...rest])))
      );
    fc.assert(fc.property(tagged, decodesOrRefuses), { numRuns: 2000 });
  });
});
