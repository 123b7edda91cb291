/**
 * Membership messages: `[1, kind, seq, timestamp, member]` in CBOR, followed, when the cluster
 * has a `secret`, by an HMAC-SHA256 of those bytes. Used for multicast datagrams and for static
 * membership's pings alike.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Encoder } from "cbor-x";
import type { Member } from "../interfaces/member.ts";
import { ConclaveError } from "../errors.ts";
import { CborReader } from "../wire/cbor_reader.ts";
import { memberToWire, readMember } from "../wire/envelope.ts";

export const MembershipKind = { ALIVE: 1, LEAVING: 2 } as const;
export type MembershipKindValue = (typeof MembershipKind)[keyof typeof MembershipKind];

/** One heartbeat or goodbye. */
export interface MembershipMessage {
  kind: MembershipKindValue;
  /** Increases with every message a member sends; a replay repeats an old one. */
  seq: number;
  /** Sender's wall clock, ms. */
  timestamp: number;
  member: Member;
}

/** Datagrams larger than this are dropped unread (a member record is a few hundred bytes). */
export const MAX_MEMBERSHIP_BYTES = 4096;
const MAC_BYTES = 32;
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

function mac(secret: string, body: Uint8Array): Uint8Array {
  return createHmac("sha256", secret).update(body).digest();
}

export function encodeMembership(message: MembershipMessage, secret?: string): Uint8Array {
  const body: Uint8Array = cbor.encode([
    1,
    message.kind,
    message.seq,
    message.timestamp,
    memberToWire(message.member),
  ]);
  if (!secret) return body;
  const out = new Uint8Array(body.length + MAC_BYTES);
  out.set(body, 0);
  out.set(mac(secret, body), body.length);
  return out;
}

function bad(code: "MEMBERSHIP_ERR_MALFORMED" | "MEMBERSHIP_ERR_AUTH", message: string) {
  return new ConclaveError(code, message);
}

/**
 * Decodes and, with a `secret`, authenticates one message. Throws MEMBERSHIP_ERR_MALFORMED or
 * MEMBERSHIP_ERR_AUTH; never anything else.
 */
export function decodeMembership(bytes: Uint8Array, secret?: string): MembershipMessage {
  if (bytes.length > MAX_MEMBERSHIP_BYTES) {
    throw bad(
      "MEMBERSHIP_ERR_MALFORMED",
      `A ${bytes.length}-byte membership message; expected at most ${MAX_MEMBERSHIP_BYTES}`,
    );
  }
  let body = bytes;
  if (secret) {
    if (bytes.length <= MAC_BYTES) {
      throw bad("MEMBERSHIP_ERR_AUTH", "A membership message without a MAC");
    }
    body = bytes.subarray(0, bytes.length - MAC_BYTES);
    const expected = mac(secret, body);
    if (!timingSafeEqual(expected, bytes.subarray(bytes.length - MAC_BYTES))) {
      throw bad(
        "MEMBERSHIP_ERR_AUTH",
        "A membership message whose MAC does not match the cluster's secret",
      );
    }
  }
  // A strict reader of the exact shape: no general decoder runs on a peer's datagram.
  const r = new CborReader(
    body,
    "MEMBERSHIP_ERR_MALFORMED",
    `A membership message that is not [1, kind, seq, timestamp, member]${
      secret ? "" : " (a node with a secret would send 32 more bytes)"
    }`,
  );
  r.array("the message", 5, 5);
  if (r.uint("the format", 0xffffffff) !== 1) {
    throw r.fail("the format", "another format", "1", 1);
  }
  const kindAt = r.at;
  const kind = r.uint("kind", 0xffffffff);
  if (kind !== MembershipKind.ALIVE && kind !== MembershipKind.LEAVING) {
    throw r.fail("kind", String(kind), "1 (alive) or 2 (leaving)", kindAt);
  }
  const seq = r.uint("seq", Number.MAX_SAFE_INTEGER);
  const timestamp = r.number("timestamp");
  const member = readMember(r);
  r.end("the message");
  return { kind, seq, timestamp, member };
}

/**
 * Refuses replays: a message must be within `window` ms of this node's clock and carry a higher
 * `seq` than the last one accepted from its member.
 */
export class ReplayGuard {
  #window: number;
  #last = new Map<string, { seq: number; at: number }>();

  constructor(window: number) {
    this.#window = window;
  }

  /** Throws MEMBERSHIP_ERR_REPLAY for a stale or repeated message. */
  check(message: MembershipMessage, now: number): void {
    if (Math.abs(now - message.timestamp) > this.#window) {
      throw new ConclaveError(
        "MEMBERSHIP_ERR_REPLAY",
        `A membership message stamped ${
          now - message.timestamp
        } ms away from this node's clock; expected within ${this.#window} ms`,
      );
    }
    const key = message.member.id.hex;
    const last = this.#last.get(key);
    if (last && message.seq <= last.seq) {
      throw new ConclaveError(
        "MEMBERSHIP_ERR_REPLAY",
        `A membership message with seq ${message.seq} from ${message.member.name}, which already sent ${last.seq}`,
      );
    }
    this.#last.set(key, { seq: message.seq, at: now });
    if (this.#last.size > 1024) {
      for (const [id, seen] of this.#last) if (now - seen.at > this.#window) this.#last.delete(id);
    }
  }
}
