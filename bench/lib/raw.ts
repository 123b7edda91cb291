/**
 * The raw-socket baseline of `bench/channel.ts`: plain `node:net` / `node:tls` streams carrying
 * length-prefixed frames, with no envelope, no CBOR and no channel code.
 *
 * A frame is `u32 body length | u8 flag | filler`, sized to the bytes Conclave puts on the wire
 * for the same payload. Flag 1 asks for an 8-byte ack (`u32 4 | u32 seq`) once the frame is
 * parsed. Writes are coalesced the way Conclave's `FrameWriter` coalesces them: every frame
 * queued in one turn of the event loop (at most 256 KiB) leaves under one `cork()`/`uncork()`, and one write
 * callback settles the whole batch. The server splits the stream like Conclave's `FrameDecoder`
 * does (a view when a frame sits in one chunk, one copy when it spans chunks) and counts.
 *
 * @module
 */
import net from "node:net";
import { setImmediate } from "node:timers";
import tls from "node:tls";
import type { TlsMaterial } from "../../src/runtime/sockets.ts";

/** Frame flag: the receiver answers with an ack once it parsed the frame. */
export const FLAG_ACK = 1;
const ACK_BYTES = 8;

/** A frame of `total` bytes on the wire (prefix included) with the given flag. */
export function rawFrame(total: number, flag: number): Uint8Array {
  const frame = new Uint8Array(total);
  new DataView(frame.buffer).setUint32(0, total - 4);
  frame[4] = flag;
  for (let i = 5; i < total; i++) frame[i] = i & 0xff;
  return frame;
}

/** Most bytes handed to the socket per turn, as Conclave's `FrameWriter` does. */
const FLUSH_BYTES = 256 * 1024;

/** Per-tick coalescing writer with drain backpressure (the baseline's `FrameWriter`). */
class TickWriter {
  #socket: net.Socket;
  #queue: { frame: Uint8Array; done?: () => void }[] = [];
  #scheduled = false;
  #blocked = false;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("drain", () => {
      this.#blocked = false;
      this.#flush();
    });
  }

  write(frame: Uint8Array, done?: () => void): void {
    this.#queue.push({ frame, done });
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#scheduled && !this.#blocked) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flush();
      });
    }
  }

  #flush(): void {
    if (this.#blocked || this.#queue.length === 0) return;
    let count = 0;
    let taken = 0;
    while (count < this.#queue.length && (count === 0 || taken < FLUSH_BYTES)) {
      taken += this.#queue[count++].frame.length;
    }
    const items = this.#queue.splice(0, count);
    const dones = items.flatMap((item) => item.done ? [item.done] : []);
    const socket = this.#socket;
    socket.cork();
    let ok = true;
    const last = items.length - 1;
    for (let i = 0; i < last; i++) ok = socket.write(items[i].frame) && ok;
    const finished = dones.length === 0 ? undefined : () => {
      for (const done of dones) done();
    };
    ok = socket.write(items[last].frame, finished) && ok;
    socket.uncork();
    if (!ok) this.#blocked = true;
    else if (this.#queue.length > 0) this.#schedule();
  }
}

/** Client end: `send` resolves when written (no ack) or when acked, like a Conclave send. */
export class RawClient {
  #socket: net.Socket;
  #writer: TickWriter;
  #acks: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #carry = 0;
  #error: Error | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    this.#writer = new TickWriter(socket);
    socket.on("data", (chunk: Uint8Array) => {
      const total = this.#carry + chunk.length;
      let acks = Math.floor(total / ACK_BYTES);
      this.#carry = total % ACK_BYTES;
      while (acks-- > 0) this.#acks.shift()?.resolve();
    });
    const fail = (error?: Error) => {
      this.#error ??= error ?? new Error("baseline connection closed");
      for (const waiter of this.#acks.splice(0)) waiter.reject(this.#error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
  }

  static connect(port: number, material: TlsMaterial | undefined): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket: net.Socket = material
        ? tls.connect({
          host: "127.0.0.1",
          port,
          cert: material.cert,
          key: material.key,
          ca: material.ca,
          minVersion: "TLSv1.3",
          rejectUnauthorized: true,
          checkServerIdentity: () => undefined,
        })
        : net.connect({ host: "127.0.0.1", port });
      socket.once("error", reject);
      socket.once(material ? "secureConnect" : "connect", () => {
        socket.off("error", reject);
        resolve(new RawClient(socket));
      });
    });
  }

  send(frame: Uint8Array, ack: boolean): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      if (ack) {
        this.#acks.push({ resolve, reject });
        this.#writer.write(frame);
      } else {
        this.#writer.write(frame, resolve);
      }
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** Splits a stream into `u32`-length-prefixed frames (the algorithm of Conclave's decoder). */
class RawDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #needed = 0;
  #onFrame: (frame: Uint8Array) => void;

  constructor(onFrame: (frame: Uint8Array) => void) {
    this.#onFrame = onFrame;
  }

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#needed === 0) {
        if (this.#buffered < 4) return;
        const head = this.#take(4, true);
        this.#needed = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
      }
      const total = 4 + this.#needed;
      if (this.#buffered < total) return;
      const frame = this.#take(total, false);
      this.#needed = 0;
      this.#onFrame(frame);
    }
  }

  /** The first `n` bytes: a view when they sit in one chunk, else a copy; `peek` keeps them. */
  #take(n: number, peek: boolean): Uint8Array {
    const first = this.#chunks[0];
    if (first.length >= n) {
      if (!peek) {
        this.#buffered -= n;
        if (first.length === n) this.#chunks.shift();
        else this.#chunks[0] = first.subarray(n);
      }
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let at = 0;
    let i = 0;
    while (at < n) {
      const chunk = this.#chunks[i];
      const part = chunk.length <= n - at ? chunk : chunk.subarray(0, n - at);
      out.set(part, at);
      at += part.length;
      if (peek) i++;
      else if (part === chunk) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part.length);
    }
    if (!peek) this.#buffered -= n;
    return out;
  }
}

/** Server counters, read by the parent between rounds. */
export interface RawCounters {
  frames: number;
  bytes: number;
}

/** Listens on 127.0.0.1 (TLS 1.3 with a required client certificate when `material` is set). */
export function rawServer(
  material: TlsMaterial | undefined,
  counters: RawCounters,
): Promise<net.Server> {
  const onConnection = (socket: net.Socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => socket.destroy());
    const writer = new TickWriter(socket);
    let seq = 0;
    const decoder = new RawDecoder((frame) => {
      counters.frames++;
      counters.bytes += frame.length;
      if (frame[4] === FLAG_ACK) {
        const ack = new Uint8Array(ACK_BYTES);
        const view = new DataView(ack.buffer);
        view.setUint32(0, 4);
        view.setUint32(4, ++seq);
        writer.write(ack);
      }
    });
    socket.on("data", (chunk: Uint8Array) => decoder.push(chunk));
  };
  const server = material
    ? tls.createServer({
      cert: material.cert,
      key: material.key,
      ca: material.ca,
      minVersion: "TLSv1.3",
      requestCert: true,
      rejectUnauthorized: true,
    }, onConnection)
    : net.createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => resolve(server));
  });
}
