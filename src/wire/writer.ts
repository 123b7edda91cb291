/**
 * Coalescing frame writer: all frames queued in one turn of the event loop leave in one system
 * call. One write per 1 KiB frame caps every runtime near 300k messages/s; batching gives 5-13x.
 *
 * Backpressure: once the socket reports its buffer full, frames wait here until it drains. If it
 * does not drain within `stallTimeout` (a peer that stopped reading), `onStall` is called and the
 * owner cuts the connection; nothing is buffered forever.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Cancel, Clock } from "../interfaces/clock.ts";
import type { StreamSocket } from "../runtime/sockets.ts";

/** Frames smaller than this are copied into one batch buffer; larger ones are written as they are. */
const COPY_BELOW = 16 * 1024;
/** Batches are cut at this size so one copy never grows unbounded. */
const BATCH_BYTES = 256 * 1024;

type Done = (error?: Error | null) => void;

interface Item {
  parts: Uint8Array[];
  bytes: number;
  done: Done | undefined;
}

export interface FrameWriterOptions {
  clock: Clock;
  /** How long the socket may stay full before `onStall`. */
  stallTimeout: number;
  onStall: () => void;
}

export class FrameWriter {
  #socket: StreamSocket;
  #options: FrameWriterOptions;
  #queue: Item[] = [];
  #queuedBytes = 0;
  #scheduled = false;
  #blocked = false;
  #closed = false;
  #stallTimer: Cancel | undefined;
  #drainWaiters: (() => void)[] = [];

  constructor(socket: StreamSocket, options: FrameWriterOptions) {
    this.#socket = socket;
    this.#options = options;
    socket.onDrain(() => {
      this.#blocked = false;
      this.#stallTimer?.();
      this.#stallTimer = undefined;
      this.#flush();
      if (!this.#blocked) { for (const wake of this.#drainWaiters.splice(0)) wake(); }
    });
  }

  /** Bytes waiting here and in the socket's own buffer. */
  get queuedBytes(): number {
    return this.#queuedBytes + this.#socket.bufferedAmount;
  }

  /** Queues one frame (its parts are written back to back); `done` fires once it is written. */
  write(parts: Uint8Array[], done?: Done): void {
    if (this.#closed) {
      done?.(new Error("connection closed"));
      return;
    }
    let bytes = 0;
    for (const part of parts) bytes += part.length;
    this.#queue.push({ parts, bytes, done });
    this.#queuedBytes += bytes;
    if (!this.#scheduled && !this.#blocked) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flush();
      });
    }
  }

  /** Resolves once everything queued here went to the socket and the socket is not full. */
  drained(): Promise<void> {
    if (this.#closed || (!this.#blocked && this.#queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Fails every queued frame; later writes fail at once. */
  close(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stallTimer?.();
    for (const item of this.#queue.splice(0)) item.done?.(error);
    this.#queuedBytes = 0;
    for (const wake of this.#drainWaiters.splice(0)) wake();
  }

  #flush(): void {
    if (this.#closed || this.#blocked || this.#queue.length === 0) return;
    const items = this.#queue.splice(0);
    this.#queuedBytes = 0;
    const dones: Done[] = [];
    const out: Uint8Array[] = [];
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    const cutBatch = () => {
      if (batch.length > 0) out.push(batch.length === 1 ? batch[0] : concat(batch, batchBytes));
      batch = [];
      batchBytes = 0;
    };
    for (const item of items) {
      if (item.done) dones.push(item.done);
      if (item.bytes < COPY_BELOW) {
        for (const part of item.parts) batch.push(part);
        batchBytes += item.bytes;
        if (batchBytes >= BATCH_BYTES) cutBatch();
      } else {
        cutBatch();
        for (const part of item.parts) out.push(part);
      }
    }
    cutBatch();
    const socket = this.#socket;
    let ok = true;
    socket.cork();
    const last = out.length - 1;
    for (let i = 0; i < last; i++) ok = socket.write(out[i]) && ok;
    // Write callbacks run in order, so the last one tells that every frame before it is out.
    const finished = dones.length === 0 ? undefined : (error?: Error | null) => {
      for (const done of dones) done(error ?? null);
    };
    ok = socket.write(out[last], finished) && ok;
    socket.uncork();
    if (!ok) this.#block();
    else for (const wake of this.#drainWaiters.splice(0)) wake();
  }

  #block(): void {
    this.#blocked = true;
    this.#stallTimer ??= this.#options.clock.setTimeout(() => {
      this.#stallTimer = undefined;
      if (this.#blocked && !this.#closed) this.#options.onStall();
    }, this.#options.stallTimeout);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
