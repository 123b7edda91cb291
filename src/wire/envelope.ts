/**
 * The envelope: the CBOR header of each frame, versioned.
 *
 * Every header is an array whose first two items are the envelope version and the frame type:
 *
 * | type | header                                                      | direction         |
 * | ---- | ----------------------------------------------------------- | ----------------- |
 * | MSG  | `[1, 1, seq, options, timestamp, uniqueId, member?]` + payload | sender → receiver |
 * | ACK  | `[1, 2, seq]`                                               | receiver → sender |
 * | FAIL | `[1, 3, seq, code, message]` (a fail-ack)                   | receiver → sender |
 * | VERSION | `[1, 4, [supported versions]]`, then the receiver closes | receiver → sender |
 *
 * The sending member's record rides on the first MSG of a connection and again whenever it
 * changes; the receiver remembers it per connection, so the common frame carries 16 bytes of id
 * less than a full record. A receiver that meets a version it does not speak answers VERSION
 * with the ones it does, which is where a later format gets negotiated.
 *
 * @module
 */
import { Encoder } from "cbor-x";
import type { Member } from "../interfaces/member.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { ConclaveError } from "../errors.ts";
import { CborReader } from "./cbor_reader.ts";

/** The envelope version this node writes. */
export const ENVELOPE_VERSION = 1;
/** The versions this node reads. */
export const SUPPORTED_VERSIONS: readonly number[] = [1];

export const FrameType = { MSG: 1, ACK: 2, FAIL: 3, VERSION: 4 } as const;

/** A decoded header. */
export type Envelope =
  | {
    type: typeof FrameType.MSG;
    seq: number;
    options: number;
    timestamp: number;
    uniqueId: UniqueId;
    member: Member | undefined;
  }
  | { type: typeof FrameType.ACK; seq: number }
  | { type: typeof FrameType.FAIL; seq: number; code: string; message: string }
  | { type: typeof FrameType.VERSION; versions: number[] };

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** A member record as it travels: `[id, host, port, jvmRoute, domain, ready, payload]`. */
export function memberToWire(member: Member): unknown[] {
  return [
    member.id.bytes,
    member.host,
    member.port,
    member.jvmRoute,
    member.domain,
    member.ready,
    member.payload,
  ];
}

/** Bytes of a member record's payload; a whole membership datagram is no bigger. */
export const MAX_MEMBER_PAYLOAD = 4096;
/** Characters of a host, route or domain (UTF-8 takes at most 4 bytes a character). */
const MAX_NAME = 255;

function name(r: CborReader, what: string, min: number): string {
  const text = r.text(what, MAX_NAME * 4);
  if (text.length < min || text.length > MAX_NAME) {
    throw r.fail(what, `${text.length} characters long`, `${min} to ${MAX_NAME} characters`);
  }
  return text;
}

/**
 * Reads a member record `[id, host, port, jvmRoute, domain, ready, payload]`; throws the
 * reader's coded error naming the bad field.
 */
export function readMember(r: CborReader, where = "member"): Member {
  r.array(where, 7, 7);
  const id = r.bytesView(`${where}.id`, 16, 16); // UniqueId copies it
  const host = name(r, `${where}.host`, 1);
  const port = r.uint(`${where}.port`, 65535);
  const jvmRoute = name(r, `${where}.jvmRoute`, 0);
  const domain = name(r, `${where}.domain`, 0);
  const ready = r.bool(`${where}.ready`);
  const payload = r.bytes(`${where}.payload`, 0, MAX_MEMBER_PAYLOAD);
  return {
    id: new UniqueId(id),
    name: `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`,
    host,
    port,
    jvmRoute,
    domain,
    ready,
    payload,
  };
}

/** Encodes a MSG header. `member` is sent only when the receiver has not seen this record. */
export function encodeMessageHeader(
  seq: number,
  options: number,
  timestamp: number,
  uniqueId: UniqueId,
  member: Member | undefined,
): Uint8Array {
  if (
    !member && Number.isInteger(seq) && seq >= 0 && seq <= 0xffffffff &&
    Number.isInteger(options) && options >= 0 && options <= 0xffffffff
  ) {
    // The common header, byte for byte what cbor-x writes, without the general encoder.
    const out = new Uint8Array(41);
    out[0] = 0x86;
    out[1] = ENVELOPE_VERSION;
    out[2] = FrameType.MSG;
    let at = putUint(out, 3, seq);
    at = putUint(out, at, options);
    out[at++] = 0xfb;
    F64.setFloat64(0, timestamp);
    out.set(F64_BYTES, at);
    at += 8;
    out[at++] = 0xd8;
    out[at++] = 0x40;
    out[at++] = 0x50;
    out.set(uniqueId.bytes, at);
    return out.subarray(0, at + 16);
  }
  const header: unknown[] = [
    ENVELOPE_VERSION,
    FrameType.MSG,
    seq,
    options,
    timestamp,
    uniqueId.bytes,
  ];
  if (member) header.push(memberToWire(member));
  return cbor.encode(header);
}

const F64_BYTES = new Uint8Array(8);
const F64 = new DataView(F64_BYTES.buffer);

function putUint(out: Uint8Array, at: number, n: number): number {
  if (n < 24) {
    out[at] = n;
    return at + 1;
  }
  if (n < 0x100) {
    out[at] = 0x18;
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    out[at] = 0x19;
    out[at + 1] = n >>> 8;
    out[at + 2] = n & 0xff;
    return at + 3;
  }
  out[at] = 0x1a;
  out[at + 1] = n >>> 24;
  out[at + 2] = (n >>> 16) & 0xff;
  out[at + 3] = (n >>> 8) & 0xff;
  out[at + 4] = n & 0xff;
  return at + 5;
}

export function encodeAckHeader(seq: number): Uint8Array {
  if (Number.isInteger(seq) && seq >= 0 && seq <= 0xffffffff) {
    // What cbor-x writes, without the general encoder (one ACK per message).
    const out = new Uint8Array(8);
    out[0] = 0x83;
    out[1] = ENVELOPE_VERSION;
    out[2] = FrameType.ACK;
    return out.subarray(0, putUint(out, 3, seq));
  }
  return cbor.encode([ENVELOPE_VERSION, FrameType.ACK, seq]);
}

export function encodeFailHeader(seq: number, code: string, message: string): Uint8Array {
  return cbor.encode([ENVELOPE_VERSION, FrameType.FAIL, seq, code, message.slice(0, 1000)]);
}

export function encodeVersionHeader(): Uint8Array {
  return cbor.encode([ENVELOPE_VERSION, FrameType.VERSION, [...SUPPORTED_VERSIONS]]);
}

/** Longest FAIL code and message read, in bytes (the message is cut at 1000 characters). */
const MAX_FAIL_CODE = 128;
const MAX_FAIL_MESSAGE = 4000;

/** Throws unless a header of this type has `min` to `max` items. */
function items(
  r: CborReader,
  length: number,
  name: string,
  min: number,
  max: number,
  expected: string,
): void {
  if (length < min || length > max) {
    throw r.fail(`the ${name} header`, `an array of ${length} items`, expected, 0);
  }
}

/**
 * Decodes a header with a strict reader of its exact shape: no general CBOR decoder touches a
 * peer's header. Throws WIRE_ERR_VERSION for an envelope version this node does not read and
 * WIRE_ERR_MALFORMED, naming the field, for anything else that is not a valid header.
 */
export function decodeHeader(bytes: Uint8Array): Envelope {
  const r = new CborReader(bytes, "WIRE_ERR_MALFORMED", "Bad envelope");
  // Any length up to 255 before the version: a later version may carry more items.
  const length = r.array("the header", 2, 255);
  const version = r.uint("the envelope version", 0xffffffff);
  if (version !== ENVELOPE_VERSION) {
    throw new ConclaveError(
      "WIRE_ERR_VERSION",
      `Envelope version ${version}; this node reads ${SUPPORTED_VERSIONS.join(", ")}`,
    );
  }
  const typeAt = r.at;
  const type = r.uint("the frame type", 0xffffffff);
  let header: Envelope;
  switch (type) {
    case FrameType.MSG: {
      items(r, length, "MSG", 6, 7, "[1, 1, seq, options, timestamp, uniqueId, member?]");
      header = {
        type,
        seq: r.uint("MSG seq", Number.MAX_SAFE_INTEGER),
        options: r.uint("MSG options", 0xffffffff),
        timestamp: r.number("MSG timestamp"),
        uniqueId: new UniqueId(r.bytesView("MSG uniqueId", 16, 16)), // UniqueId copies it
        member: length === 7 ? readMember(r) : undefined,
      };
      break;
    }
    case FrameType.ACK:
      items(r, length, "ACK", 3, 3, "[1, 2, seq]");
      header = { type, seq: r.uint("ACK seq", Number.MAX_SAFE_INTEGER) };
      break;
    case FrameType.FAIL:
      items(r, length, "FAIL", 5, 5, "[1, 3, seq, code, message]");
      header = {
        type,
        seq: r.uint("FAIL seq", Number.MAX_SAFE_INTEGER),
        code: r.text("FAIL code", MAX_FAIL_CODE),
        message: r.text("FAIL message", MAX_FAIL_MESSAGE),
      };
      break;
    case FrameType.VERSION: {
      items(r, length, "VERSION", 3, 3, "[1, 4, [versions]]");
      const count = r.array("VERSION versions", 0, 16);
      const versions: number[] = [];
      for (let i = 0; i < count; i++) versions.push(r.uint(`VERSION versions[${i}]`, 0xffffffff));
      header = { type, versions };
      break;
    }
    default:
      throw r.fail(
        "the frame type",
        String(type),
        "1 (MSG), 2 (ACK), 3 (FAIL) or 4 (VERSION)",
        typeAt,
      );
  }
  r.end("the header");
  return header;
}
