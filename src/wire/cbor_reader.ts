/**
 * A strict reader of the few CBOR shapes that headers use (envelopes, membership messages):
 * arrays, unsigned integers, numbers, booleans, and text and byte strings of bounded length. No
 * general decoder runs on these bytes: anything else, a tag included (but tag 64 on bytes, as
 * cbor-x writes a Uint8Array), is refused at once with a coded error naming the field, the byte
 * and what was expected.
 *
 * @module
 */
import { ConclaveError, type ErrorCode } from "../errors.ts";
import { MAJOR_NAMES } from "../kernel/cbor_scan.ts";

const TEXT = new TextDecoder("utf-8", { fatal: true });
const F64_BYTES = new Uint8Array(8);
const F64 = new DataView(F64_BYTES.buffer);

/** What a read expects, spelled out only when it fails (the common read builds no string). */
const ARRAY = 0;
const UINT = 1;
const NUMBER = 2;
const BOOL = 3;
const TEXT_STRING = 4;
const BYTES = 5;

function expectation(kind: number, a: number, b: number): string {
  switch (kind) {
    case ARRAY:
      return a === b ? `an array of ${a} items` : `an array of ${a} to ${b} items`;
    case UINT:
      return `an unsigned integer of at most ${a}`;
    case NUMBER:
      return "a finite number";
    case BOOL:
      return "a boolean";
    case TEXT_STRING:
      return `a text string of at most ${a} bytes`;
    default:
      return a === b ? `${a} bytes` : `${a} to ${b} bytes`;
  }
}

export class CborReader {
  readonly #bytes: Uint8Array;
  readonly #code: ErrorCode;
  readonly #prefix: string;
  #at = 0;
  /** Major type and additional info of the head `#head` read last. */
  #major = 0;
  #info = 0;

  /** `prefix` starts every error message ("Bad envelope"). */
  constructor(bytes: Uint8Array, code: ErrorCode, prefix: string) {
    this.#bytes = bytes;
    this.#code = code;
    this.#prefix = prefix;
  }

  /** An error naming `what`, where it starts, what was found and what was expected. */
  fail(what: string, found: string, expected: string, at = this.#at): ConclaveError {
    return new ConclaveError(
      this.#code,
      `${this.#prefix}: ${what} at byte ${at} is ${found}; expected ${expected}`,
    );
  }

  /** The offset of the next item. */
  get at(): number {
    return this.#at;
  }

  get atEnd(): boolean {
    return this.#at >= this.#bytes.length;
  }

  /**
   * Reads a head: returns its argument (a float's bits are not read) and leaves the major type and
   * additional info in `#major` and `#info` (no object per item: this runs for every frame).
   */
  #head(what: string, kind: number, a: number, b: number): number {
    const bytes = this.#bytes;
    const start = this.#at;
    if (start >= bytes.length) {
      throw this.fail(what, "missing (the header ended)", expectation(kind, a, b));
    }
    const initial = bytes[start];
    this.#major = initial >> 5;
    const info = this.#info = initial & 0x1f;
    if (info < 24) {
      this.#at = start + 1;
      return info;
    }
    if (info > 27) {
      throw this.fail(
        what,
        `head 0x${initial.toString(16)} (indefinite or reserved)`,
        expectation(kind, a, b),
      );
    }
    const size = 1 << (info - 24);
    if (start + 1 + size > bytes.length) {
      throw this.fail(what, "truncated", expectation(kind, a, b));
    }
    let arg = 0;
    for (let i = 1; i <= size; i++) arg = arg * 256 + bytes[start + i];
    this.#at = start + 1 + size;
    return arg;
  }

  #wrong(what: string, kind: number, a: number, b: number, start: number): never {
    this.#at = start;
    throw this.fail(what, MAJOR_NAMES[this.#major], expectation(kind, a, b));
  }

  /** An array header with `min` to `max` items; returns the count. */
  array(what: string, min: number, max: number): number {
    const start = this.#at;
    const arg = this.#head(what, ARRAY, min, max);
    if (this.#major !== 4) this.#wrong(what, ARRAY, min, max, start);
    if (arg < min || arg > max) {
      throw this.fail(what, `an array of ${arg} items`, expectation(ARRAY, min, max), start);
    }
    return arg;
  }

  /** An unsigned integer up to `max` (a float64 holding one too, as cbor-x writes big ones). */
  uint(what: string, max: number): number {
    const start = this.#at;
    const value = this.#number(what, UINT, max);
    if (!Number.isSafeInteger(value) || value < 0 || value > max) {
      throw this.fail(what, String(value).slice(0, 30), expectation(UINT, max, 0), start);
    }
    return value;
  }

  /** Any finite number: an integer within 2^53 or a float. */
  number(what: string): number {
    const start = this.#at;
    const value = this.#number(what, NUMBER, 0);
    if (!Number.isFinite(value)) {
      throw this.fail(what, String(value), expectation(NUMBER, 0, 0), start);
    }
    return value;
  }

  #number(what: string, kind: number, a: number): number {
    const start = this.#at;
    const arg = this.#head(what, kind, a, 0);
    const major = this.#major;
    if (major === 0) return arg;
    if (major === 1) return -1 - arg;
    const info = this.#info;
    if (major !== 7 || info < 25) this.#wrong(what, kind, a, 0, start);
    const bytes = this.#bytes;
    if (info === 27) {
      for (let i = 0; i < 8; i++) F64_BYTES[i] = bytes[start + 1 + i];
      return F64.getFloat64(0);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + start + 1);
    return info === 26 ? view.getFloat32(0) : half(view);
  }

  bool(what: string): boolean {
    const start = this.#at;
    this.#head(what, BOOL, 0, 0);
    const major = this.#major;
    const info = this.#info;
    if (major === 7 && (info === 20 || info === 21)) return info === 21;
    throw this.fail(
      what,
      major === 7 ? `simple value ${info}` : MAJOR_NAMES[major],
      expectation(BOOL, 0, 0),
      start,
    );
  }

  /** A UTF-8 text string of at most `maxBytes` bytes. */
  text(what: string, maxBytes: number): string {
    const start = this.#at;
    const arg = this.#head(what, TEXT_STRING, maxBytes, 0);
    if (this.#major !== 3) this.#wrong(what, TEXT_STRING, maxBytes, 0, start);
    const body = this.#take(what, arg, maxBytes, TEXT_STRING, maxBytes, 0, start);
    try {
      return TEXT.decode(body);
    } catch {
      throw this.fail(what, "not UTF-8", expectation(TEXT_STRING, maxBytes, 0), start);
    }
  }

  /** A byte string of `min` to `max` bytes, bare or under tag 64 (Uint8Array); a copy. */
  bytes(what: string, min: number, max: number): Uint8Array {
    return new Uint8Array(this.bytesView(what, min, max)); // a plain copy
  }

  /**
   * The same as a view into the reader's bytes, for a caller that copies what it keeps (a
   * `UniqueId` does): the view must not outlive the bytes' use.
   */
  bytesView(what: string, min: number, max: number): Uint8Array {
    const start = this.#at;
    let arg = this.#head(what, BYTES, min, max);
    if (this.#major === 6 && arg === 64) arg = this.#head(what, BYTES, min, max);
    if (this.#major !== 2) this.#wrong(what, BYTES, min, max, start);
    if (arg < min) throw this.fail(what, `${arg} bytes`, expectation(BYTES, min, max), start);
    return this.#take(what, arg, max, BYTES, min, max, start);
  }

  #take(
    what: string,
    length: number,
    max: number,
    kind: number,
    a: number,
    b: number,
    start: number,
  ): Uint8Array {
    if (length > max) {
      throw this.fail(what, `${length} bytes long`, expectation(kind, a, b), start);
    }
    if (length > this.#bytes.length - this.#at) {
      throw this.fail(what, "truncated", expectation(kind, a, b), start);
    }
    const body = this.#bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return body;
  }

  /** Throws unless every byte was read. */
  end(what: string): void {
    if (!this.atEnd) {
      throw this.fail(what, `followed by ${this.#bytes.length - this.#at} more bytes`, "the end");
    }
  }
}

/** An IEEE 754 half-precision float (RFC 8949 appendix D). */
function half(view: DataView): number {
  const h = view.getUint16(0);
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (mant + 1024) * 2 ** (exp - 25);
}
