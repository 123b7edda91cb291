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

function malformed(what: string, expected: string): ConclaveError {
  return new ConclaveError("WIRE_ERR_MALFORMED", `Bad envelope: ${what}; expected ${expected}`);
}

function isUint(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Reads a member record; throws WIRE_ERR_MALFORMED naming the bad field. */
export function memberFromWire(value: unknown, where = "member"): Member {
  if (!Array.isArray(value) || value.length !== 7) {
    throw malformed(
      `${where} is not a 7-item array`,
      "[id, host, port, jvmRoute, domain, ready, payload]",
    );
  }
  const [id, host, port, jvmRoute, domain, ready, payload] = value;
  if (!(id instanceof Uint8Array) || id.length !== 16) {
    throw malformed(`${where}.id is not 16 bytes`, "a 16-byte unique id");
  }
  if (typeof host !== "string" || host.length === 0 || host.length > 255) {
    throw malformed(`${where}.host is not a host name`, "a string of 1 to 255 characters");
  }
  if (!isUint(port) || port > 65535) throw malformed(`${where}.port is ${port}`, "0 to 65535");
  if (typeof jvmRoute !== "string" || jvmRoute.length > 255) {
    throw malformed(`${where}.jvmRoute is not a string`, "a string of at most 255 characters");
  }
  if (typeof domain !== "string" || domain.length > 255) {
    throw malformed(`${where}.domain is not a string`, "a string of at most 255 characters");
  }
  if (typeof ready !== "boolean") throw malformed(`${where}.ready is not a boolean`, "a boolean");
  if (!(payload instanceof Uint8Array)) throw malformed(`${where}.payload is not bytes`, "bytes");
  return {
    id: new UniqueId(new Uint8Array(id)),
    name: `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`,
    host,
    port,
    jvmRoute,
    domain,
    ready,
    payload: new Uint8Array(payload),
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
  return cbor.encode([ENVELOPE_VERSION, FrameType.ACK, seq]);
}

export function encodeFailHeader(seq: number, code: string, message: string): Uint8Array {
  return cbor.encode([ENVELOPE_VERSION, FrameType.FAIL, seq, code, message.slice(0, 1000)]);
}

export function encodeVersionHeader(): Uint8Array {
  return cbor.encode([ENVELOPE_VERSION, FrameType.VERSION, [...SUPPORTED_VERSIONS]]);
}

/**
 * Decodes a header. Throws WIRE_ERR_VERSION for an envelope version this node does not read and
 * WIRE_ERR_MALFORMED for anything else that is not a valid header.
 */
export function decodeHeader(bytes: Uint8Array): Envelope {
  let value: unknown;
  try {
    value = cbor.decode(bytes);
  } catch (cause) {
    throw new ConclaveError(
      "WIRE_ERR_MALFORMED",
      `Bad envelope: ${bytes.length} header bytes are not one CBOR value (${
        (cause as Error).message
      })`,
    );
  }
  if (!Array.isArray(value) || value.length < 2) {
    throw malformed("the header is not an array of at least 2 items", "[version, type, ...]");
  }
  const [version, type] = value;
  if (version !== ENVELOPE_VERSION) {
    throw new ConclaveError(
      "WIRE_ERR_VERSION",
      `Envelope version ${String(version).slice(0, 20)}; this node reads ${
        SUPPORTED_VERSIONS.join(", ")
      }`,
    );
  }
  switch (type) {
    case FrameType.MSG: {
      if (value.length !== 6 && value.length !== 7) {
        throw malformed(`MSG header has ${value.length} items`, "6 or 7");
      }
      const [, , seq, options, timestamp, id] = value;
      if (!isUint(seq)) throw malformed("MSG seq is not an unsigned integer", "0 or more");
      if (!isUint(options) || options > 0xffffffff) {
        throw malformed("MSG options are not a 32-bit bit field", "0 to 2^32-1");
      }
      if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) {
        throw malformed("MSG timestamp is not a number", "ms since the epoch");
      }
      if (!(id instanceof Uint8Array) || id.length !== 16) {
        throw malformed("MSG uniqueId is not 16 bytes", "a 16-byte unique id");
      }
      return {
        type,
        seq,
        options,
        timestamp,
        uniqueId: new UniqueId(new Uint8Array(id)),
        member: value.length === 7 ? memberFromWire(value[6]) : undefined,
      };
    }
    case FrameType.ACK: {
      if (value.length !== 3 || !isUint(value[2])) throw malformed("ACK header", "[1, 2, seq]");
      return { type, seq: value[2] };
    }
    case FrameType.FAIL: {
      const [, , seq, code, message] = value;
      if (
        value.length !== 5 || !isUint(seq) || typeof code !== "string" ||
        typeof message !== "string"
      ) {
        throw malformed("FAIL header", "[1, 3, seq, code, message]");
      }
      return { type, seq, code, message };
    }
    case FrameType.VERSION: {
      const versions = value[2];
      if (!Array.isArray(versions) || !versions.every(isUint)) {
        throw malformed("VERSION header", "[1, 4, [versions]]");
      }
      return { type, versions };
    }
    default:
      throw malformed(
        `frame type ${String(type).slice(0, 20)}`,
        "1 (MSG), 2 (ACK), 3 (FAIL) or 4 (VERSION)",
      );
  }
}
