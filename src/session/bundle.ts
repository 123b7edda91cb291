/**
 * Message bundling for the session managers, as JGroups does: the changes of every request that
 * ends in one turn of the event loop travel to a destination as one message, so under load one
 * send, one decode and one ack carry many requests instead of one each. A lone request waits for
 * no timer, only for the end of its turn.
 *
 * @module
 */
import type { ConclaveError } from "../errors.ts";
import { atTurnEnd } from "../kernel/turn.ts";

/** Items per bundle: bounds the time a receiver spends on one message. */
export const BUNDLE_MAX_DELTAS = 256;
/** Estimated bytes per bundle; an item estimated above it travels alone. */
export const BUNDLE_MAX_BYTES = 64 * 1024;

interface Open<T> {
  items: T[];
  bytes: number;
  sent: Promise<void>;
}

/** Collects items until the end of the turn, then hands them to `send` as one bundle. */
export class TurnBundler<T> {
  #send: (items: T[]) => Promise<void>;
  #open: Open<T> | undefined;

  constructor(send: (items: T[]) => Promise<void>) {
    this.#send = (items) => sendInHalves(items, send);
  }

  /** Adds `item` (about `bytes` encoded); resolves once the bundle holding it was sent. */
  add(item: T, bytes: number): Promise<void> {
    const open = this.#open;
    if (open && open.items.length < BUNDLE_MAX_DELTAS && open.bytes + bytes <= BUNDLE_MAX_BYTES) {
      open.items.push(item);
      open.bytes += bytes;
      return open.sent;
    }
    // A full bundle is left to its turn-end task; this item starts the next one, sent after it.
    const items = [item];
    // Called within the turn-end pass, so the frames it writes leave in this turn too.
    const sent = new Promise<void>((resolve, reject) =>
      atTurnEnd(() => {
        if (this.#open?.items === items) this.#open = undefined;
        this.#send(items).then(resolve, reject);
      })
    );
    this.#open = { items, bytes, sent };
    return sent;
  }
}

/**
 * Sends `items` as one message. A bundle above the transport's `maxFrameSize` (set below the
 * bundle cap) was written nowhere, so it goes again as two halves, in order.
 */
async function sendInHalves<T>(items: T[], send: (items: T[]) => Promise<void>): Promise<void> {
  try {
    await send(items);
  } catch (err) {
    if (items.length < 2 || !tooLarge(err)) throw err;
    const half = items.length >> 1;
    await sendInHalves(items.slice(0, half), send);
    await sendInHalves(items.slice(half), send);
  }
}

/** True when a send failed, for every member, only because its frame was over `maxFrameSize`. */
function tooLarge(err: unknown): boolean {
  const faulty = (err as { faultyMembers?: readonly { error: Error }[] }).faultyMembers;
  return faulty !== undefined && faulty.length > 0 &&
    faulty.every((f) => (f.error as ConclaveError).code === "WIRE_ERR_FRAME_TOO_LARGE");
}

/**
 * Roughly the encoded bytes of `value`: string lengths, byte lengths, 9 per other leaf. Stops
 * walking once above `limit`, so a huge attribute costs no more than `limit` to size.
 */
export function estimateSize(value: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && size <= limit) {
    const v = stack.pop();
    if (typeof v === "string") size += v.length + 1;
    else if (v instanceof Uint8Array) size += v.byteLength + 1;
    else if (Array.isArray(v) || v instanceof Set) {
      for (const item of v) {
        stack.push(item);
        if (++size > limit) break;
      }
    } else if (v instanceof Map) {
      for (const [k, item] of v) {
        stack.push(k, item);
        if (++size > limit) break;
      }
    } else if (v !== null && typeof v === "object" && !(v instanceof Date)) {
      for (const k in v) {
        stack.push(k, (v as Record<string, unknown>)[k]);
        if (++size > limit) break;
      }
    } else size += 9;
  }
  return size;
}

/** Most estimated bytes of attributes one replication message carries for one session. */
export const PIECE_MAX_BYTES = 8 * 1024 * 1024;

/**
 * `delta` cut into pieces of at most about `budget` bytes of attributes each (an attribute
 * bigger than that travels alone), each piece a delta of the same session with the same meta:
 * applying them in any order gives the session `delta` describes, so a session of any size
 * travels in frames `maxFrameSize` accepts.
 */
export function splitDelta<D extends { attrs: [string, unknown, ...unknown[]][] }>(
  delta: D,
  budget = PIECE_MAX_BYTES,
): D[] {
  let total = 0;
  const sizes = delta.attrs.map(([name, value]) => {
    const size = name.length + 12 + estimateSize(value, budget);
    total += size;
    return size;
  });
  if (total <= budget) return [delta];
  const pieces: D[] = [];
  let attrs: D["attrs"] = [];
  let bytes = 0;
  delta.attrs.forEach((attr, i) => {
    if (attrs.length > 0 && bytes + sizes[i] > budget) {
      pieces.push({ ...delta, attrs });
      attrs = [];
      bytes = 0;
    }
    attrs.push(attr);
    bytes += sizes[i];
  });
  if (attrs.length > 0) pieces.push({ ...delta, attrs });
  return pieces;
}
