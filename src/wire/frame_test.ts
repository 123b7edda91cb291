import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConclaveError } from "../errors.ts";
import { encodeFrame, FrameDecoder } from "./frame.ts";

function collect(max = 1 << 20) {
  const frames: [number[], number[]][] = [];
  const decoder = new FrameDecoder(max, (h, p) => frames.push([[...h], [...p]]));
  return { decoder, frames };
}

const frameParts = fc.tuple(
  fc.uint8Array({ minLength: 0, maxLength: 40 }),
  fc.uint8Array({ minLength: 0, maxLength: 300 }),
);

describe("FrameDecoder", () => {
  it("round-trips frames split at every byte boundary", () => {
    fc.assert(
      fc.property(fc.array(frameParts, { minLength: 1, maxLength: 4 }), (parts) => {
        const bytes = Uint8Array.from(parts.flatMap(([h, p]) => [...encodeFrame(h, p)]));
        for (let cut = 0; cut <= bytes.length; cut++) {
          const { decoder, frames } = collect();
          decoder.push(bytes.subarray(0, cut));
          decoder.push(bytes.subarray(cut));
          assert.deepEqual(frames, parts.map(([h, p]) => [[...h], [...p]]));
          assert.equal(decoder.pending, 0);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("round-trips frames fed one byte at a time", () => {
    fc.assert(
      fc.property(fc.array(frameParts, { minLength: 1, maxLength: 3 }), (parts) => {
        const bytes = Uint8Array.from(parts.flatMap(([h, p]) => [...encodeFrame(h, p)]));
        const { decoder, frames } = collect();
        for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
        assert.deepEqual(frames, parts.map(([h, p]) => [[...h], [...p]]));
      }),
      { numRuns: 40 },
    );
  });

  it("refuses a 4 GiB length prefix before allocating anything", () => {
    const { decoder, frames } = collect();
    assert.throws(
      () => decoder.push(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0])),
      (e: unknown) =>
        e instanceof ConclaveError && e.code === "WIRE_ERR_FRAME_TOO_LARGE" &&
        /4294967295/.test(e.message),
    );
    assert.equal(frames.length, 0);
  });

  it("refuses a frame one byte above maxFrameSize and accepts one at it", () => {
    const { decoder, frames } = collect(100);
    decoder.push(encodeFrame(new Uint8Array(10), new Uint8Array(88))); // body = 2 + 10 + 88
    assert.equal(frames.length, 1);
    assert.throws(
      () => decoder.push(encodeFrame(new Uint8Array(10), new Uint8Array(89))),
      (e: unknown) => e instanceof ConclaveError && e.code === "WIRE_ERR_FRAME_TOO_LARGE",
    );
  });

  it("refuses a header length that does not fit its frame", () => {
    const { decoder } = collect();
    assert.throws(
      () => decoder.push(new Uint8Array([0, 0, 0, 4, 0, 200, 1, 2])),
      (e: unknown) => e instanceof ConclaveError && e.code === "WIRE_ERR_MALFORMED",
    );
  });

  it("names a TLS ClientHello sent to a plain receiver", () => {
    const { decoder } = collect();
    assert.throws(
      () => decoder.push(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])),
      (e: unknown) => e instanceof ConclaveError && e.code === "WIRE_ERR_TLS_EXPECTED",
    );
  });

  it("reports a stream that ends inside a frame, and delivers the whole frames before it", () => {
    const { decoder, frames } = collect();
    const whole = encodeFrame(new Uint8Array([1]), new Uint8Array([2, 3]));
    const cut = encodeFrame(new Uint8Array([4]), new Uint8Array(50)).subarray(0, 20);
    decoder.push(Uint8Array.from([...whole, ...cut]));
    assert.equal(frames.length, 1);
    assert.throws(
      () => decoder.end(),
      (e: unknown) => e instanceof ConclaveError && e.code === "WIRE_ERR_TRUNCATED",
    );
  });

  it("ends quietly between frames", () => {
    const { decoder } = collect();
    decoder.push(encodeFrame(new Uint8Array([1])));
    decoder.end();
  });

  it("reads a payload that arrived in one chunk where it lies, wherever its header came", () => {
    const payload = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    const frame = encodeFrame(Uint8Array.of(1, 2, 3), payload);
    const head = frame.length - payload.length;
    const got: Uint8Array[] = [];
    const decoder = new FrameDecoder(1 << 20, (_, p) => got.push(p));
    const tail = frame.slice(head);
    decoder.push(frame.slice(0, head)); // prefix and header, as the end of one record
    decoder.push(tail); // the payload, as the next record
    assert.equal(got.length, 1);
    assert.deepEqual([...got[0]], [...payload]);
    assert.equal(got[0].buffer, tail.buffer, "a view of the chunk, not a copy");
    assert.equal(decoder.pending, 0);
  });

  it("refuses a header longer than its frame however the frame is cut", () => {
    const frame = encodeFrame(Uint8Array.of(1, 2, 3), new Uint8Array(10));
    frame[5] = 200; // header length 200 in a 19-byte frame
    for (const cut of [3, 6, 8]) {
      const decoder = new FrameDecoder(1 << 20, () => assert.fail("no frame"));
      decoder.push(frame.slice(0, cut));
      assert.throws(() => decoder.push(frame.slice(cut)), { code: "WIRE_ERR_MALFORMED" });
    }
  });
});
