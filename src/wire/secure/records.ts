/**
 * The record layer of an authenticated connection: `u16 length | AES-256-GCM(bytes) | 16-byte tag`,
 * length as associated data, one counter per direction (Noise transport messages, at most 65,535
 * bytes each). Records carry the byte stream of frames, so many small frames written in one turn
 * share one record and one cipher set-up. A replayed, dropped, reordered, altered or cut record
 * fails its tag, and the connection must close.
 *
 * @module
 */
import { ConclaveError } from "../../errors.ts";
import type { CipherState } from "../noise/cipher_state.ts";
import { TAG_LEN } from "../noise/primitives.ts";

/** The largest record, prefix excluded (Noise's message limit). */
export const MAX_RECORD = 65535;
/** The most plaintext one record carries. */
export const MAX_RECORD_PLAINTEXT = MAX_RECORD - TAG_LEN;
/** Noise 4.2's rekey, every 2^20 records in each direction (both ends count the same). */
export const REKEY_EVERY = 2 ** 20;

function recordError(message: string): ConclaveError {
  return new ConclaveError("CHANNEL_ERR_RECORD", message);
}

/** Seals the bytes of one turn into as few records as fit. */
export class RecordSealer {
  #cipher: CipherState;
  #rekeyEvery: number;
  #count = 0;
  #ad = new Uint8Array(2);
  #pieces: Uint8Array[] = [];
  #layout: number[] = [];

  constructor(cipher: CipherState, rekeyEvery = REKEY_EVERY) {
    this.#cipher = cipher;
    this.#rekeyEvery = rekeyEvery;
  }

  /**
   * The records holding `parts` back to back, in write order, joined in one buffer as a socket
   * writes them (each prefix written in place, no buffer per record).
   */
  seal(parts: readonly Uint8Array[]): Uint8Array {
    const pieces = this.#sealAll(parts);
    const layout = this.#layout;
    let total = 0;
    for (let r = 1; r < layout.length; r += 2) total += 2 + layout[r];
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (let r = 0; r < layout.length; r += 2) {
      const length = layout[r + 1];
      out[at++] = length >>> 8;
      out[at++] = length & 0xff;
      const last = r + 2 < layout.length ? layout[r + 2] : pieces.length;
      for (let i = layout[r]; i < last; i++) {
        out.set(pieces[i], at);
        at += pieces[i].length;
      }
    }
    pieces.length = 0;
    return out;
  }

  /**
   * Seals `parts` into records: returns their ciphertext pieces and tags (a scratch, for the
   * caller to empty) and leaves in `#layout` each record's first piece and its length.
   */
  #sealAll(parts: readonly Uint8Array[]): Uint8Array[] {
    const pieces = this.#pieces;
    pieces.length = 0; // in case a seal threw halfway
    this.#layout.length = 0;
    let group: Uint8Array[] = [];
    let size = 0;
    for (const part of parts) {
      // A part that fits in a record is not cut across two: the reader gets it in one piece
      // (a frame's payload, read where it lies instead of joined in a copy).
      if (
        size > 0 && part.length <= MAX_RECORD_PLAINTEXT && size + part.length > MAX_RECORD_PLAINTEXT
      ) {
        this.#record(pieces, group, size);
        group = [];
        size = 0;
      }
      for (let at = 0; at < part.length;) {
        const take = Math.min(part.length - at, MAX_RECORD_PLAINTEXT - size);
        group.push(at === 0 && take === part.length ? part : part.subarray(at, at + take));
        size += take;
        at += take;
        if (size === MAX_RECORD_PLAINTEXT) {
          this.#record(pieces, group, size);
          group = [];
          size = 0;
        }
      }
    }
    if (size > 0) this.#record(pieces, group, size);
    return pieces;
  }

  /** Appends one record's ciphertext pieces and tag to `pieces`, and its place to `#layout`. */
  #record(pieces: Uint8Array[], group: Uint8Array[], size: number): void {
    const length = size + TAG_LEN;
    const ad = this.#ad; // the prefix, the record's associated data (the cipher copies it)
    ad[0] = length >>> 8;
    ad[1] = length & 0xff;
    // One contiguous input: AES-GCM fed in pieces of odd sizes runs 2-3x slower than the copy
    // that joins them costs (Node and Bun, measured at 64 KiB).
    const input = group.length === 1 ? group : [Buffer.concat(group, size)];
    const sealed = this.#cipher.sealParts(ad, input);
    if (++this.#count % this.#rekeyEvery === 0) this.#cipher.rekey();
    this.#layout.push(pieces.length, length);
    for (const piece of sealed) pieces.push(piece);
  }
}

/**
 * Opens records as bytes arrive and hands their plaintext on. Holds at most one record's bytes
 * (65,537), allocated once its length is read, so a peer cannot make it hold more.
 */
export class RecordOpener {
  #cipher: CipherState;
  #onPlaintext: (bytes: Uint8Array) => void;
  #rekeyEvery: number;
  #count = 0;
  #prefix = new Uint8Array(2);
  #prefixHave = 0;
  #record: Uint8Array | undefined; // prefix and body of the record being collected
  #have = 0;
  /** Reused for records that arrive in pieces: opening copies the plaintext out of it. */
  #scratch: Uint8Array | undefined;
  #failed = false;
  #ad = new Uint8Array(2);

  constructor(
    cipher: CipherState,
    onPlaintext: (bytes: Uint8Array) => void,
    rekeyEvery = REKEY_EVERY,
  ) {
    this.#cipher = cipher;
    this.#onPlaintext = onPlaintext;
    this.#rekeyEvery = rekeyEvery;
  }

  /** Bytes of an unfinished record held. */
  get pending(): number {
    return this.#record ? this.#have : this.#prefixHave;
  }

  /** Feeds bytes; throws CHANNEL_ERR_RECORD at the first bad record (then ignores the rest). */
  push(chunk: Uint8Array): void {
    if (this.#failed) return;
    try {
      this.#push(chunk);
    } catch (error) {
      this.#failed = true;
      this.#record = undefined;
      throw error;
    }
  }

  /** Call when the stream ends: throws if it ended inside a record. */
  end(): void {
    if (this.#failed || this.pending === 0) return;
    this.#failed = true;
    throw recordError(`Connection closed ${this.pending} bytes into a record; it was dropped`);
  }

  #push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.#record) {
        // A whole record inside the chunk is opened where it lies, without a copy.
        if (this.#prefixHave === 0 && chunk.length - at >= 2) {
          const length = this.#checkLength((chunk[at] << 8) | chunk[at + 1]);
          if (chunk.length - at >= 2 + length) {
            this.#open(chunk, at, at + 2 + length);
            at += 2 + length;
            continue;
          }
        }
        this.#prefix[this.#prefixHave++] = chunk[at++];
        if (this.#prefixHave < 2) continue;
        const length = this.#checkLength((this.#prefix[0] << 8) | this.#prefix[1]);
        this.#scratch ??= new Uint8Array(2 + MAX_RECORD);
        this.#record = this.#scratch.subarray(0, 2 + length);
        this.#record.set(this.#prefix, 0);
        this.#have = 2;
        this.#prefixHave = 0;
        continue;
      }
      const record = this.#record;
      const take = Math.min(record.length - this.#have, chunk.length - at);
      record.set(chunk.subarray(at, at + take), this.#have);
      this.#have += take;
      at += take;
      if (this.#have === record.length) {
        this.#record = undefined;
        this.#have = 0;
        this.#open(record, 0, record.length);
      }
    }
  }

  #checkLength(length: number): number {
    if (length <= TAG_LEN) {
      throw recordError(`A record of ${length} bytes announced; expected ${TAG_LEN + 1} or more`);
    }
    return length;
  }

  /** Opens the record at `bytes[start, end)`, prefix included. */
  #open(bytes: Uint8Array, start: number, end: number): void {
    const ad = this.#ad; // the prefix, a scratch: the cipher copies it
    ad[0] = bytes[start];
    ad[1] = bytes[start + 1];
    let plaintext: Uint8Array;
    try {
      plaintext = this.#cipher.decryptWithAd(ad, bytes, start + 2, end);
    } catch {
      throw recordError(
        `Record ${this.#count} failed its authentication tag (altered, replayed, reordered or from another connection)`,
      );
    }
    if (++this.#count % this.#rekeyEvery === 0) this.#cipher.rekey();
    this.#onPlaintext(plaintext);
  }
}
