import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConclaveError } from "../../errors.ts";
import { Initiator, Responder, type TransportKeys } from "../noise/handshake.ts";
import { MAX_RECORD_PLAINTEXT, RecordOpener, RecordSealer } from "./records.ts";

/** A fresh handshake's keys: `a` is the dialler's view, `b` the responder's. */
function connection(): { a: TransportKeys; b: TransportKeys } {
  const psk = new Uint8Array(32).fill(7);
  const initiator = new Initiator(new Uint8Array(0), psk);
  const responder = new Responder(new Uint8Array(0), psk);
  responder.readMessage1(initiator.writeMessage1());
  const written = responder.writeMessage2(new Uint8Array(16));
  return { a: initiator.readMessage2(written.message).keys, b: written.keys };
}

function receiver(keys: TransportKeys, rekeyEvery?: number) {
  const got: number[] = [];
  const opener = new RecordOpener(keys.receive, (bytes) => got.push(...bytes), rekeyEvery);
  return { opener, got };
}

/** The sizes of the records in a stream, prefix included, read from their prefixes. */
function recordSizes(stream: Uint8Array): number[] {
  const sizes: number[] = [];
  for (let at = 0; at < stream.length;) {
    const size = 2 + ((stream[at] << 8) | stream[at + 1]);
    sizes.push(size);
    at += size;
  }
  return sizes;
}

function isRecordError(error: unknown): boolean {
  return error instanceof ConclaveError && error.code === "CHANNEL_ERR_RECORD";
}

const batches = fc.array(
  fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 4 }),
  { minLength: 1, maxLength: 5 },
);

describe("the record layer", () => {
  it("delivers every byte, in order, however the records are cut into chunks", () => {
    fc.assert(
      fc.property(batches, fc.array(fc.nat(), { maxLength: 6 }), (turns, cuts) => {
        const { a, b } = connection();
        const sealer = new RecordSealer(a.send);
        const stream = Buffer.concat(turns.map((parts) => sealer.seal(parts)));
        const { opener, got } = receiver(b);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
        let from = 0;
        for (const point of [...points, stream.length]) {
          opener.push(stream.subarray(from, point));
          from = point;
        }
        assert.deepEqual(got, turns.flat().flatMap((part) => [...part]));
        assert.equal(opener.pending, 0);
      }),
      { numRuns: 80 },
    );
  });

  it("seals one turn's parts into one record, and splits more than a record's worth", () => {
    const { a, b } = connection();
    const sealer = new RecordSealer(a.send);
    const small = sealer.seal([new Uint8Array(100), new Uint8Array(900)]);
    assert.deepEqual(recordSizes(small), [2 + 1000 + 16]);
    const big = sealer.seal([new Uint8Array(MAX_RECORD_PLAINTEXT + 1)]);
    assert.deepEqual(recordSizes(big), [65537, 2 + 1 + 16]);
    assert.equal(sealer.seal([]).length, 0);
    const { opener, got } = receiver(b);
    for (const bytes of [small, big]) opener.push(bytes);
    assert.equal(got.length, 1000 + MAX_RECORD_PLAINTEXT + 1);
  });

  it("refuses a record with any bit altered (prefix, body or tag)", () => {
    fc.assert(
      fc.property(batches, fc.nat(), fc.integer({ min: 0, max: 7 }), (turns, at, bit) => {
        const { a, b } = connection();
        const sealer = new RecordSealer(a.send);
        const stream = Buffer.concat(turns.map((parts) => sealer.seal(parts)));
        stream[at % stream.length] ^= 1 << bit;
        const { opener } = receiver(b);
        assert.throws(() => {
          opener.push(stream);
          opener.end();
        }, isRecordError);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses a replayed, a reordered or a dropped record", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 3, maxLength: 6 }),
        fc.constantFrom("replay", "reorder", "drop"),
        fc.nat(),
        (messages, attack, pick) => {
          const { a, b } = connection();
          const sealer = new RecordSealer(a.send);
          const records = messages.map((m) => sealer.seal([m]));
          const i = pick % (records.length - 1);
          const sent = [...records];
          if (attack === "replay") sent.splice(i + 1, 0, records[i]);
          else if (attack === "reorder") [sent[i], sent[i + 1]] = [sent[i + 1], sent[i]];
          else sent.splice(i, 1);
          const { opener, got } = receiver(b);
          assert.throws(() => sent.forEach((r) => opener.push(r)), isRecordError);
          // What came before the bad record is delivered; nothing of it, nothing after it.
          const good = messages.slice(0, attack === "replay" ? i + 1 : i).flatMap((m) => [...m]);
          assert.deepEqual(got, good);
          opener.push(records[records.length - 1]);
          assert.deepEqual(got, good);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("refuses records sealed for another connection, and its own direction reflected", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), (message) => {
        const one = connection();
        const other = connection();
        const foreign = [new RecordSealer(other.a.send).seal([message])];
        assert.throws(() => receiver(one.b).opener.push(foreign[0]), isRecordError);
        // A's own record sent back to A: the directions have different keys.
        const mine = [new RecordSealer(one.a.send).seal([message])];
        assert.throws(() => receiver(one.a).opener.push(mine[0]), isRecordError);
      }),
      { numRuns: 30 },
    );
  });

  it("refuses a stream cut inside a record, and delivers nothing of that record", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), (message, at) => {
        const { a, b } = connection();
        const record = new RecordSealer(a.send).seal([message]);
        const cut = 1 + (at % (record.length - 1));
        const { opener, got } = receiver(b);
        opener.push(record.subarray(0, cut));
        assert.throws(() => opener.end(), isRecordError);
        assert.deepEqual(got, []);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses a record too short to hold a tag and a byte, before reading it", () => {
    const { b } = connection();
    for (const length of [0, 1, 16]) {
      assert.throws(() => receiver(b).opener.push(Uint8Array.of(0, length)), isRecordError);
    }
  });

  it("rekeys both directions in step (Noise 4.2), and a record from before a rekey fails after", () => {
    const { a, b } = connection();
    const sealer = new RecordSealer(a.send, 3);
    const { opener, got } = receiver(b, 3);
    const records = Array.from({ length: 10 }, (_, i) => sealer.seal([Uint8Array.of(i)]));
    for (const record of records) opener.push(record);
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // An opener that does not rekey fails at the first record under the new key.
    const fresh = connection();
    const rekeying = new RecordSealer(fresh.a.send, 3);
    const stale = receiver(fresh.b, 1000);
    for (let i = 0; i < 3; i++) stale.opener.push(rekeying.seal([Uint8Array.of(i)]));
    assert.throws(() => stale.opener.push(rekeying.seal([Uint8Array.of(3)])), isRecordError);
  });

  it("starts a new record for a part that fits in one rather than cut it across two", () => {
    const { a, b } = connection();
    const sealer = new RecordSealer(a.send);
    const first = new Uint8Array(1000).fill(1);
    const second = new Uint8Array(MAX_RECORD_PLAINTEXT - 500).fill(2);
    const third = new Uint8Array(100).fill(3);
    const stream = sealer.seal([first, second, third]);
    const pieces: Uint8Array[] = [];
    const opener = new RecordOpener(b.receive, (bytes) => pieces.push(bytes));
    opener.push(stream);
    assert.deepEqual(pieces.map((p) => p.length), [1000, second.length + 100]);
    assert.ok(pieces[1].subarray(0, second.length).every((x) => x === 2), "second whole");
    // A part bigger than a record still fills records to the brim.
    const big = sealer.seal([first, new Uint8Array(2 * MAX_RECORD_PLAINTEXT)]);
    assert.deepEqual(
      recordSizes(big),
      [MAX_RECORD_PLAINTEXT, MAX_RECORD_PLAINTEXT, 1000].map((n) => n + 2 + 16),
    );
  });
});
