import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Encoder } from "cbor-x";
import fc from "fast-check";
import type { Member } from "../interfaces/member.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { ConclaveError } from "../errors.ts";
import {
  decodeHeader,
  encodeAckHeader,
  encodeFailHeader,
  encodeMessageHeader,
  encodeVersionHeader,
  FrameType,
} from "./envelope.ts";
import { bignum, bignumHeader, mutated } from "../testing/hostile_bytes.ts";

const cbor = new Encoder({ useRecords: false });

const memberArb = fc.record({
  id: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  host: fc.oneof(fc.ipV4(), fc.constant("::1"), fc.domain()),
  port: fc.integer({ min: 0, max: 65535 }),
  jvmRoute: fc.string({ maxLength: 30 }),
  domain: fc.string({ maxLength: 30 }),
  ready: fc.boolean(),
  payload: fc.uint8Array({ maxLength: 64 }),
}).map((m): Member => ({
  ...m,
  id: new UniqueId(m.id),
  name: `tcp://${m.host}:${m.port}`,
}));

function headerOrCodedError(bytes: Uint8Array): void {
  try {
    decodeHeader(bytes);
  } catch (e) {
    assert.ok(e instanceof ConclaveError, `a ConclaveError, got ${e}`);
    assert.match(e.code, /^WIRE_ERR_(MALFORMED|VERSION)$/);
  }
}

function isCode(code: string) {
  return (e: unknown) => e instanceof ConclaveError && e.code === code;
}

describe("envelope", () => {
  it("round-trips MSG headers, with and without the member record", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.option(memberArb, { nil: undefined }),
        (seq, options, timestamp, id, member) => {
          const decoded = decodeHeader(
            encodeMessageHeader(seq, options, timestamp, new UniqueId(id), member),
          );
          assert.equal(decoded.type, FrameType.MSG);
          if (decoded.type !== FrameType.MSG) return;
          assert.deepEqual(
            [decoded.seq, decoded.options, decoded.timestamp, [...decoded.uniqueId.bytes]],
            [seq, options, timestamp, [...id]],
          );
          if (!member) assert.equal(decoded.member, undefined);
          else {
            const got = decoded.member as Member;
            assert.ok(got.id.equals(member.id));
            assert.deepEqual(
              [got.host, got.port, got.jvmRoute, got.domain, got.ready, [...got.payload]],
              [member.host, member.port, member.jvmRoute, member.domain, member.ready, [
                ...member.payload,
              ]],
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("round-trips ACK, FAIL and VERSION headers", () => {
    fc.assert(
      fc.property(fc.nat(), fc.string(), fc.string({ maxLength: 1000 }), (seq, code, text) => {
        assert.deepEqual(decodeHeader(encodeAckHeader(seq)), { type: FrameType.ACK, seq });
        assert.deepEqual(decodeHeader(encodeFailHeader(seq, code, text)), {
          type: FrameType.FAIL,
          seq,
          code,
          message: text,
        });
      }),
    );
    assert.deepEqual(decodeHeader(encodeVersionHeader()), {
      type: FrameType.VERSION,
      versions: [1],
    });
  });

  it("writes ACK and common MSG headers byte for byte as cbor-x does", () => {
    const seqs = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.nat(), fc.constant(0xffffffff));
    fc.assert(
      // Timestamps as Date.now() gives them (cbor-x writes smaller integers as integers).
      fc.property(
        seqs,
        seqs,
        fc.integer({ min: 2 ** 32, max: 2 ** 48 }),
        (seq, options, timestamp) => {
          assert.deepEqual([...encodeAckHeader(seq)], [...cbor.encode([1, 2, seq])]);
          const id = UniqueId.random();
          assert.deepEqual(
            [...encodeMessageHeader(seq, options, timestamp, id, undefined)],
            [...cbor.encode([1, 1, seq, options, timestamp, id.bytes])],
          );
        },
      ),
    );
  });

  it("answers any byte string with a header or a coded error, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), headerOrCodedError),
      { numRuns: 2000 },
    );
  });

  it("names what is wrong in a garbage envelope", () => {
    const id = new Uint8Array(16);
    const cases: [unknown, RegExp][] = [
      ["hello", /the header at byte 0 is a text string/],
      [[1, 9], /frame type at byte 2 is 9/],
      [[1, 1, -1, 0, 0, id], /seq/],
      [[1, 1, 1, 0, 0, new Uint8Array(3)], /uniqueId/],
      [[1, 1, 1, 0, 0, id, [id, "h", 70000, "", "", true, new Uint8Array(0)]], /port/],
      [[1, 1, 1, 0, 0, id, "not a member"], /member/],
      [[1, 3, 1, 5, "x"], /FAIL/],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => decodeHeader(cbor.encode(value)),
        (e: unknown) => isCode("WIRE_ERR_MALFORMED")(e) && message.test((e as Error).message),
        JSON.stringify(value, (_, v) => v instanceof Uint8Array ? `bytes(${v.length})` : v),
      );
    }
  });

  it("refuses a 64 KB bignum in a header at the byte where it starts (issue 13)", () => {
    // cbor-x rebuilt it byte by byte before looking at the shape: 0.4 s of a stalled loop.
    for (
      const [bytes, message] of [
        [bignumHeader(65_000), /MSG seq at byte 3 is a tag; expected an unsigned integer/],
        [bignum(65_000), /the header at byte 0 is a tag; expected an array/],
      ] as const
    ) {
      assert.ok(bytes.length < 65_536, "fits a frame's header");
      assert.throws(
        () => decodeHeader(bytes),
        (e: unknown) => isCode("WIRE_ERR_MALFORMED")(e) && message.test((e as Error).message),
      );
    }
  });

  it("bounds every length a header names", () => {
    const id = new Uint8Array(16);
    const member = (host: string, payload: Uint8Array) => [id, host, 1, "r", "", true, payload];
    const cases: [unknown, RegExp][] = [
      [[1, 1, 1, 0, 0, id, member("h".repeat(256), new Uint8Array(0))], /host .*256 characters/],
      [[1, 1, 1, 0, 0, id, member("h", new Uint8Array(4097))], /payload .*4097 bytes long/],
      [[1, 3, 1, "c".repeat(129), ""], /FAIL code .*129 bytes long/],
      [[1, 4, new Array(17).fill(1)], /VERSION versions .*17 items/],
      [[1, 2, 1, 0], /ACK header .*4 items/],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => decodeHeader(cbor.encode(value)),
        (e: unknown) => isCode("WIRE_ERR_MALFORMED")(e) && message.test((e as Error).message),
        String(message),
      );
    }
    const trailing = Uint8Array.from([...encodeAckHeader(1), 0]);
    assert.throws(() => decodeHeader(trailing), /followed by 1 more bytes/);
  });

  it("answers mutated valid headers with a header or a coded error", () => {
    const headers = fc.tuple(fc.nat(), fc.option(memberArb, { nil: undefined })).map((
      [seq, member],
    ) => encodeMessageHeader(seq, 6, Date.now(), UniqueId.random(), member));
    fc.assert(fc.property(mutated(headers), headerOrCodedError), { numRuns: 3000 });
  });

  it("refuses an envelope version it does not read", () => {
    assert.throws(() => decodeHeader(cbor.encode([2, 1, 0])), isCode("WIRE_ERR_VERSION"));
    const longer = cbor.encode([2, 1, ...new Array(20).fill(0)]);
    assert.throws(() => decodeHeader(longer), isCode("WIRE_ERR_VERSION"), "a longer later format");
  });
});
