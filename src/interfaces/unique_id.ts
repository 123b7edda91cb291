/**
 * 16-byte unique ids for members and messages, compared by value.
 *
 * @module
 */

const HEX = /^[0-9a-f]{32}$/;

/** A 16-byte id with value equality; `hex` is the key to use in maps. */
export class UniqueId {
  readonly bytes: Uint8Array;
  readonly hex: string;

  constructor(bytes: Uint8Array) {
    if (bytes.length !== 16) throw new RangeError(`A unique id has 16 bytes, not ${bytes.length}`);
    this.bytes = Uint8Array.from(bytes);
    this.hex = Array.from(this.bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** A new id from the runtime's cryptographic random source. */
  static random(): UniqueId {
    return new UniqueId(crypto.getRandomValues(new Uint8Array(16)));
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
