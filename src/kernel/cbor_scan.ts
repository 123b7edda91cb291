/**
 * A bounded walk over CBOR bytes from a peer, before any decoder builds a value from them: it
 * admits only what Conclave's encoder writes for data (SPEC section 4 "Values") and refuses the
 * rest with a coded error naming what was found, where, and what was expected.
 *
 * Refused: tags other than Date (1), 64-bit bignums (2, 3 over at most 8 bytes), Uint8Array (64),
 * Set (258) and Map (259), so no class instance (Error, RegExp, other typed arrays), no shared
 * reference or cycle (28, 29), no record or packed structure, and no big number whose rebuilding
 * costs more than its bytes; indefinite lengths; simple values other than false, true, null and
 * undefined; plain maps with keys other than strings; nesting deeper than `maxDepth`; more than
 * `maxItems` items or `maxContainers` arrays, maps, map entries and tags. The walk is iterative
 * and touches each head once: its cost is linear in the bytes and independent of what they claim.
 *
 * @module
 */
import { ConclaveError, type ErrorCode } from "../errors.ts";

export interface ScanLimits {
  /** Containers (arrays, maps) nested inside each other. */
  maxDepth: number;
  /** Items (every value, map keys and tags included) in the whole message. */
  maxItems: number;
  /**
   * Arrays, maps, map entries and tags in the whole message: each costs the decoder an object or
   * a hash-table insertion (10 to 50 times a number's cost), so these bound the time one message
   * holds the event loop.
   */
  maxContainers: number;
}

/**
 * Deep enough for a value nested MAX_VALUE_DEPTH deep inside any replication message; the
 * largest message these admit decodes in about 0.05 to 0.2 s at worst on a shared 2-core machine
 * (`bench/hostile_bytes.ts`).
 */
export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  maxDepth: 80,
  maxItems: 1 << 19,
  maxContainers: 1 << 17,
};

/** Bytes a tag-2/3 bignum may hold: 64 bits, what CBOR's plain integers carry too. */
const MAX_BIGNUM_BYTES = 8;

/** What the next item must be, set by the tag before it. */
const ANY = 0;
const KEY = 1; // a plain map's key: a text string
const DATE = 2; // tag 1: a number that is not a 64-bit integer (cbor-x would build a bigint)
const BIGNUM = 3; // tags 2, 3
const BYTES = 4; // tag 64
const ARRAY = 5; // tag 258
const MAP = 6; // tag 259

const TAG_EXPECTED = [
  "",
  "a text string key",
  "an epoch number",
  `a byte string of at most ${MAX_BIGNUM_BYTES} bytes`,
  "a byte string",
  "an array",
  "a map",
];

/** CBOR's major types, as error messages name them. */
export const MAJOR_NAMES: readonly string[] = [
  "an unsigned integer",
  "a negative integer",
  "a byte string",
  "a text string",
  "an array",
  "a map",
  "a tag",
  "a simple value or float",
];

const ALLOWED_TAGS =
  "tags 1 (Date), 2 and 3 (64-bit bignum), 64 (Uint8Array), 258 (Set) and 259 (Map)";

function u32(bytes: Uint8Array, at: number): number {
  return bytes[at] * 2 ** 24 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}

/**
 * Throws ConclaveError(`code`) unless `bytes` are exactly one CBOR data value within `limits`;
 * `what` names the bytes in the message ("payload", "header").
 */
export function scanCbor(
  bytes: Uint8Array,
  code: ErrorCode,
  what: string,
  limits: ScanLimits = DEFAULT_SCAN_LIMITS,
): void {
  const end = bytes.length;
  const fail = (at: number, found: string, expected: string): never => {
    throw new ConclaveError(
      code,
      `Refused a ${end}-byte CBOR ${what}: at byte ${at} found ${found}; expected ${expected}`,
    );
  };
  // Per open container: items still to read; negative for a plain map (its even items are keys).
  const open: number[] = [];
  let remaining = 1; // items left in the innermost container (the top level holds one)
  let plainMap = false;
  let at = 0;
  let items = 0;
  let containers = 0;
  let next: number = ANY;
  while (true) {
    while (remaining === 0) {
      if (open.length === 0) {
        if (at !== end) fail(at, `${end - at} bytes after the value`, "the end");
        return;
      }
      const outer = open.pop() as number;
      plainMap = outer < 0;
      remaining = plainMap ? -outer : outer;
    }
    if (at >= end) fail(at, "the end of the bytes", "another item");
    if (++items > limits.maxItems) fail(at, `more than ${limits.maxItems} items`, "fewer");
    const start = at;
    const initial = bytes[at++];
    const major = initial >> 5;
    const info = initial & 0x1f;
    let arg = info;
    if (info >= 24) {
      if (info > 27) {
        fail(
          start,
          info === 31 ? "an indefinite length or break" : `reserved head 0x${initial.toString(16)}`,
          "a definite length",
        );
      }
      const size = 1 << (info - 24);
      if (at + size > end) fail(start, "a truncated head", `${size} more bytes`);
      if (major === 7) {
        arg = 0; // a float (or a one-byte simple value), read by nobody here
        if (info === 24) fail(start, `simple value ${bytes[at]}`, "false, true, null or undefined");
      } else if (size === 8) arg = u32(bytes, at) * 2 ** 32 + u32(bytes, at + 4);
      else if (size === 4) arg = u32(bytes, at);
      else if (size === 2) arg = (bytes[at] << 8) | bytes[at + 1];
      else arg = bytes[at];
      at += size;
    } else if (major === 7 && info < 20) {
      fail(start, `simple value ${info}`, "false, true, null or undefined");
    }
    const expect: number = plainMap && remaining % 2 === 0 ? KEY : next;
    next = ANY;
    remaining--;
    if (expect !== ANY) {
      const ok = expect === KEY
        ? major === 3
        : expect === DATE
        ? (major <= 1 && info <= 26) || (major === 7 && info >= 25)
        : expect === BIGNUM
        ? major === 2 && arg <= MAX_BIGNUM_BYTES
        : expect === BYTES
        ? major === 2
        : expect === ARRAY
        ? major === 4
        : major === 5;
      if (!ok) {
        fail(
          start,
          expect === BIGNUM && major === 2 ? `a ${arg}-byte bignum` : MAJOR_NAMES[major],
          TAG_EXPECTED[expect],
        );
      }
    }
    // A map's entries count too: each is an insertion into a hash table, dearer than an object.
    if (major >= 4 && major <= 6) {
      containers += major === 5 ? 1 + arg : 1;
      if (containers > limits.maxContainers) {
        fail(
          start,
          `more than ${limits.maxContainers} arrays, maps, map entries and tags`,
          "fewer",
        );
      }
    }
    switch (major) {
      case 2:
      case 3:
        if (arg > end - at) fail(start, `a ${arg}-byte string`, `at most the ${end - at} left`);
        at += arg;
        break;
      case 4:
      case 5: {
        const count = major === 5 ? arg * 2 : arg;
        if (count > end - at) fail(start, `${count} items`, `at most the ${end - at} bytes left`);
        if (count === 0) break;
        if (open.length >= limits.maxDepth) {
          fail(start, `nesting deeper than ${limits.maxDepth}`, "a shallower value");
        }
        open.push(plainMap ? -remaining : remaining);
        remaining = count;
        plainMap = major === 5 && expect !== MAP;
        break;
      }
      case 6:
        next = arg === 1
          ? DATE
          : arg === 2 || arg === 3
          ? BIGNUM
          : arg === 64
          ? BYTES
          : arg === 258
          ? ARRAY
          : arg === 259
          ? MAP
          : fail(start, `tag ${arg}`, ALLOWED_TAGS);
        remaining++; // the tag and its content count as one item of the container
        break;
    }
  }
}
