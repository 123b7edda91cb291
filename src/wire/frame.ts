/**
 * Frames on a stream: `u32 body length | u16 header length | CBOR header | payload`, big-endian.
 *
 * The payload travels as raw bytes after the header, so a 64 KiB payload is never copied into a
 * CBOR encoder and arrives as a view of the received chunk when it fits in one.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";

/** Bytes before the header: the body length and the header length. */
export const FRAME_PREFIX = 6;
/** The default `maxFrameSize`: 32 MiB. Big sessions travel in state-transfer chunks well below it. */
export const DEFAULT_MAX_FRAME_SIZE = 32 * 1024 * 1024;

/** The length prefix of a frame with this header and payload. */
export function framePrefix(headerLength: number, payloadLength: number): Uint8Array {
  const prefix = new Uint8Array(FRAME_PREFIX);
  const view = new DataView(prefix.buffer);
  view.setUint32(0, 2 + headerLength + payloadLength);
  view.setUint16(4, headerLength);
  return prefix;
}

/** One whole frame in a single buffer (for small payloads, where one copy beats two writes). */
export function encodeFrame(header: Uint8Array, payload?: Uint8Array): Uint8Array {
  const payloadLength = payload?.length ?? 0;
  const frame = new Uint8Array(FRAME_PREFIX + header.length + payloadLength);
  frame.set(framePrefix(header.length, payloadLength), 0);
  frame.set(header, FRAME_PREFIX);
  if (payload) frame.set(payload, FRAME_PREFIX + header.length);
  return frame;
}

/** The size a frame would have, to check it against `maxFrameSize` before sending. */
export function frameBodySize(headerLength: number, payloadLength: number): number {
  return 2 + headerLength + payloadLength;
}

/** The bytes a TLS record starts with: a handshake (22) of version 3.x. */
function looksLikeTls(first: number, second: number): boolean {
  return first === 0x16 && second === 0x03;
}

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive; it calls `onFrame` for each
 * whole frame and throws a coded error for a bad one, after which the connection must close.
 */
export class FrameDecoder {
  #max: number;
  #onFrame: (header: Uint8Array, payload: Uint8Array) => void;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #needed = 0; // body length of the frame being collected, 0 while the prefix is incomplete
  #failed = false;

  constructor(maxFrameSize: number, onFrame: (header: Uint8Array, payload: Uint8Array) => void) {
    this.#max = maxFrameSize;
    this.#onFrame = onFrame;
  }

  /** Bytes of an unfinished frame held back. */
  get pending(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): void {
    if (this.#failed) return;
    if (chunk.length === 0) return;
    // A plain view: Buffer#subarray (Node) goes through a slower species constructor.
    this.#chunks.push(
      chunk.constructor === Uint8Array
        ? chunk
        : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length),
    );
    this.#buffered += chunk.length;
    try {
      this.#drain();
    } catch (error) {
      this.#failed = true;
      this.#chunks = [];
      this.#buffered = 0;
      throw error;
    }
  }

  /** Call when the stream ends: throws WIRE_ERR_TRUNCATED if a frame was cut off. */
  end(): void {
    if (this.#failed || this.#buffered === 0) return;
    const held = this.#buffered;
    this.#chunks = [];
    this.#buffered = 0;
    throw new ConclaveError(
      "WIRE_ERR_TRUNCATED",
      `Connection closed ${held} bytes into a frame${
        this.#needed ? ` of ${FRAME_PREFIX - 2 + this.#needed} bytes` : ""
      }; the partial frame was dropped`,
    );
  }

  #drain(): void {
    for (;;) {
      if (this.#needed === 0) {
        if (this.#buffered < 4) return;
        const head = this.#peek(4);
        if (looksLikeTls(head[0], head[1])) {
          throw new ConclaveError(
            "WIRE_ERR_TLS_EXPECTED",
            "Received a TLS handshake on a receiver without TLS; expected a Conclave frame",
          );
        }
        const length = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
        if (length > this.#max) {
          throw new ConclaveError(
            "WIRE_ERR_FRAME_TOO_LARGE",
            `Frame of ${length} bytes announced; expected at most maxFrameSize = ${this.#max}`,
          );
        }
        if (length < 2) {
          throw new ConclaveError(
            "WIRE_ERR_MALFORMED",
            `Frame of ${length} bytes announced; expected at least 2 (the header length)`,
          );
        }
        this.#needed = length;
      }
      const total = 4 + this.#needed;
      if (this.#buffered < total) return;
      const prefix = this.#peek(FRAME_PREFIX);
      const headerLength = (prefix[4] << 8) | prefix[5];
      if (FRAME_PREFIX + headerLength > total) {
        throw new ConclaveError(
          "WIRE_ERR_MALFORMED",
          `Header of ${headerLength} bytes announced in a ${total}-byte frame; expected it to fit`,
        );
      }
      this.#needed = 0;
      const head = FRAME_PREFIX + headerLength;
      if (this.#chunks[0].length >= total) {
        const frame = this.#take(total);
        this.#onFrame(frame.subarray(FRAME_PREFIX, head), frame.subarray(head));
      } else {
        // Taken apart: a payload that arrived in one piece (a record) is read where it lies.
        const header = this.#take(head).subarray(FRAME_PREFIX);
        this.#onFrame(header, total === head ? new Uint8Array(0) : this.#take(total - head));
      }
    }
  }

  /** The first `n` buffered bytes, without consuming them (copies only across chunks). */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first.length >= n) return first;
    const out = new Uint8Array(n);
    let at = 0;
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(0, n - at);
      out.set(part, at);
      at += part.length;
      if (at === n) break;
    }
    return out;
  }

  /** Consumes `n` bytes: a view when they sit in one chunk, else one copy. */
  #take(n: number): Uint8Array {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const chunk = this.#chunks[0];
      const need = n - at;
      if (chunk.length <= need) {
        out.set(chunk, at);
        at += chunk.length;
        this.#chunks.shift();
      } else {
        out.set(chunk.subarray(0, need), at);
        this.#chunks[0] = chunk.subarray(need);
        at = n;
      }
    }
    return out;
  }
}
