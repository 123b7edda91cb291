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

export class CborReader {
  readonly #bytes: Uint8Array;
  readonly #code: ErrorCode;
  readonly #prefix: string;
  #at = 0;

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

  /** Major type, the argument (a float's bits are not read) and the item's first byte. */
  #head(what: string, expected: string): { major: number; info: number; arg: number } {
    const bytes = this.#bytes;
    const start = this.#at;
    if (start >= bytes.length) throw this.fail(what, "missing (the header ended)", expected);
    const initial = bytes[start];
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info < 24) {
      this.#at = start + 1;
      return { major, info, arg: info };
    }
    if (info > 27) {
      throw this.fail(what, `head 0x${initial.toString(16)} (indefinite or reserved)`, expected);
    }
    const size = 1 << (info - 24);
    if (start + 1 + size > bytes.length) throw this.fail(what, "truncated", expected);
    let arg = 0;
    for (let i = 1; i <= size; i++) arg = arg * 256 + bytes[start + i];
    this.#at = start + 1 + size;
    return { major, info, arg };
  }

  #wrong(what: string, expected: string, start: number, major: number): never {
    this.#at = start;
    throw this.fail(what, MAJOR_NAMES[major], expected);
  }

  /** An array header with `min` to `max` items; returns the count. */
  array(what: string, min: number, max: number): number {
    const start = this.#at;
    const expected = min === max
      ? `an array of ${min} items`
      : `an array of ${min} to ${max} items`;
    const { major, arg } = this.#head(what, expected);
    if (major !== 4) this.#wrong(what, expected, start, major);
    if (arg < min || arg > max) throw this.fail(what, `an array of ${arg} items`, expected, start);
    return arg;
  }

  /** An unsigned integer up to `max` (a float64 holding one too, as cbor-x writes big ones). */
  uint(what: string, max: number): number {
    const start = this.#at;
    const expected = `an unsigned integer of at most ${max}`;
    const value = this.#number(what, expected);
    if (!Number.isSafeInteger(value) || value < 0 || value > max) {
      throw this.fail(what, String(value).slice(0, 30), expected, start);
    }
    return value;
  }

  /** Any finite number: an integer within 2^53 or a float. */
  number(what: string): number {
    const start = this.#at;
    const value = this.#number(what, "a finite number");
    if (!Number.isFinite(value)) throw this.fail(what, String(value), "a finite number", start);
    return value;
  }

  #number(what: string, expected: string): number {
    const start = this.#at;
    const { major, info, arg } = this.#head(what, expected);
    if (major === 0) return arg;
    if (major === 1) return -1 - arg;
    if (major !== 7 || info < 25) this.#wrong(what, expected, start, major);
    const view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset + start + 1);
    return info === 27 ? view.getFloat64(0) : info === 26 ? view.getFloat32(0) : half(view);
  }

  bool(what: string): boolean {
    const start = this.#at;
    const { major, info } = this.#head(what, "a boolean");
    if (major === 7 && (info === 20 || info === 21)) return info === 21;
    throw this.fail(
      what,
      major === 7 ? `simple value ${info}` : MAJOR_NAMES[major],
      "a boolean",
      start,
    );
  }

  /** A UTF-8 text string of at most `maxBytes` bytes. */
  text(what: string, maxBytes: number): string {
    const start = this.#at;
    const expected = `a text string of at most ${maxBytes} bytes`;
    const { major, arg } = this.#head(what, expected);
    if (major !== 3) this.#wrong(what, expected, start, major);
    const body = this.#take(what, arg, maxBytes, expected, start);
    try {
      return TEXT.decode(body);
    } catch {
      throw this.fail(what, "not UTF-8", expected, start);
    }
  }

  /** A byte string of `min` to `max` bytes, bare or under tag 64 (Uint8Array); a copy. */
  bytes(what: string, min: number, max: number): Uint8Array {
    const start = this.#at;
    const expected = min === max ? `${min} bytes` : `${min} to ${max} bytes`;
    let head = this.#head(what, expected);
    if (head.major === 6 && head.arg === 64) head = this.#head(what, expected);
    if (head.major !== 2) this.#wrong(what, expected, start, head.major);
    if (head.arg < min) throw this.fail(what, `${head.arg} bytes`, expected, start);
    return new Uint8Array(this.#take(what, head.arg, max, expected, start)); // a plain copy
  }

  #take(what: string, length: number, max: number, expected: string, start: number): Uint8Array {
    if (length > max) throw this.fail(what, `${length} bytes long`, expected, start);
    if (length > this.#bytes.length - this.#at) throw this.fail(what, "truncated", expected, start);
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
