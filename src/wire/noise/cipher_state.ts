/**
 * Noise's CipherState (section 5.1): a key and a counter. Every message uses the next nonce, so a
 * replayed, dropped or reordered message fails to open; the counter never wraps.
 *
 * @module
 */
import { concat, nonce, open, seal, TAG_LEN } from "./primitives.ts";

/** Noise reserves 2^64-1; a number counter stops far earlier, which no connection reaches. */
const MAX_NONCE = Number.MAX_SAFE_INTEGER;
const ZEROS = new Uint8Array(32);
const EMPTY = new Uint8Array(0);
/** Nonce 2^64-1, which only Rekey uses. */
const REKEY_NONCE = Uint8Array.of(0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255);

export class CipherState {
  #key: Uint8Array | undefined;
  #n = 0;
  #iv = new Uint8Array(12);

  constructor(key?: Uint8Array) {
    this.#key = key;
  }

  get hasKey(): boolean {
    return this.#key !== undefined;
  }

  /** The next nonce, for tests. */
  get counter(): number {
    return this.#n;
  }

  /** Seals `parts` as one message: ciphertext pieces and the tag (or the parts, with no key). */
  sealParts(ad: Uint8Array, parts: readonly Uint8Array[]): Uint8Array[] {
    if (!this.#key) return [...parts];
    return seal(this.#key, nonce(this.#next(), this.#iv), ad, parts);
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return concat(...this.sealParts(ad, [plaintext]));
  }

  /**
   * Opens one message (`ciphertext[start, end)`); throws on a bad tag. The counter advances only
   * on success.
   */
  decryptWithAd(
    ad: Uint8Array,
    ciphertext: Uint8Array,
    start = 0,
    end = ciphertext.length,
  ): Uint8Array {
    if (!this.#key) {
      return start === 0 && end === ciphertext.length
        ? ciphertext
        : ciphertext.subarray(start, end);
    }
    if (this.#n >= MAX_NONCE) throw new Error("nonce exhausted");
    const plaintext = open(this.#key, nonce(this.#n, this.#iv), ad, ciphertext, start, end);
    this.#n++;
    return plaintext;
  }

  /** Noise 4.2 Rekey(): the next key is the encryption of 32 zeros under nonce 2^64-1. */
  rekey(): void {
    if (!this.#key) return;
    const sealed = sealMaxNonce(this.#key);
    this.#key = sealed.subarray(0, 32);
  }

  #next(): number {
    if (this.#n >= MAX_NONCE) throw new Error("nonce exhausted");
    return this.#n++;
  }
}

/** ENCRYPT(k, 2^64-1, empty, zeros), whose nonce a number counter cannot express. */
function sealMaxNonce(key: Uint8Array): Uint8Array {
  const parts = seal(key, REKEY_NONCE, EMPTY, [ZEROS]);
  const out = concat(...parts);
  return out.subarray(0, out.length - TAG_LEN);
}
