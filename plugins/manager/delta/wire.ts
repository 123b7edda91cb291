/**
 * DeltaManager's messages on the channel (`cdm: 1`, the app's context name in `ctx`).
 *
 * @module
 */
import { SendOptions } from "../../../src/interfaces/message.ts";
import type { SessionDelta, Version } from "../../../src/session/store.ts";
import type { CompactSessions } from "./compact.ts";

/** State transfer waits for each chunk to be applied. */
export const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;

export type Wire =
  | { cdm: 1; ctx: string; t: "delta"; d: SessionDelta }
  /** The deltas of requests that ended in the same turn of the event loop, in order. */
  | { cdm: 1; ctx: string; t: "deltas"; d: SessionDelta[] }
  | { cdm: 1; ctx: string; t: "gone"; id: string; v: Version; why?: "invalidated" | "expired" }
  /** `f`: the highest chunk form the joiner reads (2: `compact.ts`); absent: the first only. */
  | { cdm: 1; ctx: string; t: "state?"; q: string; f?: number }
  | StateChunk
  /** Anti-entropy (`anti_entropy.ts`). */
  | ({ cdm: 1; ctx: string } & EntropyBody);

/**
 * One chunk of a state transfer: its sessions as deltas (`s`, the first form), or, to a joiner
 * that asked for form 2, in the compact form (`c`, `nodes`, `names`: `compact.ts`).
 */
export interface StateChunk extends Partial<CompactSessions> {
  cdm: 1;
  ctx: string;
  t: "state";
  q: string;
  /** Chunk number, from 0; chunks may arrive in any order. */
  n: number;
  s?: SessionDelta[];
  /** Marks the last chunk (read by joiners that predate `total`). */
  end: boolean;
  /** How many chunks make the state; absent from older senders. */
  total?: number;
  /** The asked node is itself still joining: ask another. */
  busy?: true;
}

/** True for a message of the DeltaManager of app `ctx`. */
export function isWire(value: unknown, ctx: string): value is Wire {
  return typeof value === "object" && value !== null && (value as Wire).cdm === 1 &&
    (value as Wire).ctx === ctx;
}

/** Anti-entropy's messages: a digest, the hashes of differing buckets, copies (and ids wanted). */
export type EntropyBody =
  | { t: "ae"; q: string; h: number[] }
  | { t: "aes"; q: string; s: [number, [string, number][]][]; more?: true }
  | { t: "aed"; q: string; d: SessionDelta[]; g: [string, number][]; w?: string[] };
