/**
 * Membership datagrams are read by a strict reader of their exact shape: every message a node
 * writes reads back, and any other bytes end in MEMBERSHIP_ERR_MALFORMED or MEMBERSHIP_ERR_AUTH.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Encoder } from "cbor-x";
import { ConclaveError } from "../errors.ts";
import type { Member } from "../interfaces/member.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { bignum, mutated } from "../testing/hostile_bytes.ts";
import { decodeMembership, encodeMembership, type MembershipMessage } from "./codec.ts";

const member: Member = {
  id: UniqueId.random(),
  name: "tcp://127.0.0.1:4000",
  host: "127.0.0.1",
  port: 4000,
  jvmRoute: "node1",
  domain: "",
  ready: true,
  payload: new Uint8Array([1, 2]),
};

const messages = fc.record({
  kind: fc.constantFrom(1 as const, 2 as const),
  seq: fc.nat(),
  // -0 travels as 0, as cbor-x writes it.
  timestamp: fc.oneof(
    fc.nat(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((t) => t + 0),
  ),
}).map((m): MembershipMessage => ({ ...m, member }));

function readsOrRefuses(bytes: Uint8Array, secret?: string): void {
  try {
    decodeMembership(bytes, secret);
  } catch (e) {
    assert.ok(e instanceof ConclaveError, `a ConclaveError, got ${e}`);
    assert.match(e.code, /^MEMBERSHIP_ERR_(MALFORMED|AUTH)$/);
  }
}

describe("membership codec", () => {
  it("reads back every message, with and without a secret", () => {
    fc.assert(
      fc.property(messages, fc.option(fc.string({ minLength: 1 }), { nil: undefined }), (m, s) => {
        const back = decodeMembership(encodeMembership(m, s), s);
        assert.deepEqual([back.kind, back.seq, back.timestamp], [m.kind, m.seq, m.timestamp]);
        assert.ok(back.member.id.equals(member.id));
        assert.deepEqual({ ...back.member, id: 0 }, { ...member, id: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a bignum where a field belongs, naming the field", () => {
    const cbor = new Encoder({ useRecords: false });
    const head = cbor.encode([1, 1]).subarray(1); // the items 1, 1 without their array head
    const bytes = Uint8Array.from([0x85, ...head, ...bignum(3000), 0, 0]);
    assert.throws(
      () => decodeMembership(bytes),
      (e: unknown) =>
        e instanceof ConclaveError && e.code === "MEMBERSHIP_ERR_MALFORMED" &&
        /seq at byte 3 is a tag; expected an unsigned integer/.test(e.message),
    );
  });

  it("answers random and mutated bytes with a message or a coded error", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => readsOrRefuses(b)), {
      numRuns: 3000,
    });
    const bytes = mutated(messages.map((m) => encodeMembership(m)));
    fc.assert(fc.property(bytes, (b) => readsOrRefuses(b)), { numRuns: 3000 });
    fc.assert(fc.property(bytes, (b) => readsOrRefuses(b, "s3cret")), { numRuns: 500 });
  });
});
