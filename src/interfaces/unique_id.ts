/**
 * 16-byte unique ids for members and messages, compared by value.
 *
 * @module
 */

const HEX = /^[0-9a-f]{32}$/;

/** A 16-byte id with value equality; `hex` is the key to use in maps. */
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolAt = 0;

export class UniqueId {
  readonly bytes: Uint8Array;
  #hex: string | undefined;

  constructor(bytes: Uint8Array) {
    if (bytes.length !== 16) throw new RangeError(`A unique id has 16 bytes, not ${bytes.length}`);
    this.bytes = bytes.slice();
  }

  get hex(): string {
    if (this.#hex === undefined) {
      let out = "";
      for (let i = 0; i < 16; i++) out += BYTE_HEX[this.bytes[i]];
      this.#hex = out;
    }
    return this.#hex;
  }

  /** A new id from the runtime's cryptographic random source. */
  static random(): UniqueId {
    if (poolAt + 16 > pool.length) {
      pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
      poolAt = 0;
    }
    const id = new UniqueId(pool.subarray(poolAt, poolAt + 16));
    poolAt += 16;
    return id;
  }

  /** Parses 32 hex characters, or Tomcat's `{0,1,...,15}` byte-list form (signed bytes allowed). */
  static parse(text: string): UniqueId {
    const trimmed = text.trim().toLowerCase();
    if (HEX.test(trimmed)) {
      return new UniqueId(Uint8Array.from(trimmed.match(/../g)!, (h) => parseInt(h, 16)));
    }
    const list = /^\{([^}]*)\}$/.exec(trimmed);
    if (list) {
      const parts = list[1].split(",").map((p) => Number(p.trim()));
      if (parts.length === 16 && parts.every((n) => Number.isInteger(n) && n >= -128 && n <= 255)) {
        return new UniqueId(Uint8Array.from(parts, (n) => n & 0xff));
      }
    }
    throw new RangeError(
      `Cannot parse unique id ${
        JSON.stringify(text)
      }: expected 32 hex characters or 16 bytes as {0,1,...}`,
    );
  }

  equals(other: UniqueId): boolean {
    return other.hex === this.hex;
  }

  toString(): string {
    return this.hex;
  }

  toJSON(): string {
    return this.hex;
  }
}
