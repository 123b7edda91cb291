/**
 * DeltaManager's state transfer: a joining node asks one member after another for every session
 * until one delivers them whole; a member streams them in chunks, a window of them in flight.
 *
 * @module
 */
import type { Cancel } from "../../../src/interfaces/clock.ts";
import type { Member } from "../../../src/interfaces/member.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { encodeValue } from "../../../src/kernel/codec.ts";
import { estimateSize } from "../../../src/session/bundle.ts";
import { checkDelta } from "../../../src/session/wire_check.ts";
import type { SessionDelta, SessionStore, StoredSession } from "../../../src/session/store.ts";
import type { ManagerBase } from "../../../src/session/manager_components.ts";
import {
  applyCompact,
  checkCompact,
  COMPACT_FORM,
  compactSessions,
  CompactWriter,
} from "./compact.ts";
import { type StateChunk, SYNC } from "./wire.ts";

/** Most sessions per state-transfer chunk: no single giant message, whatever the session count. */
export const STATE_CHUNK = 500;
/**
 * Estimated bytes after which a state-transfer chunk is cut (a chunk holds at least one
 * session), so that big sessions never make a chunk over `maxFrameSize`, and so that a chunk of
 * small sessions fits, with its frame header, in one record of the channel secret (65,519
 * bytes): the joiner then reads it where it was decrypted, without joining records in a copy.
 */
export const STATE_CHUNK_BYTES = 60 * 1024;
/**
 * State-transfer chunks in flight (sent, not yet acknowledged as applied): the sender encodes
 * the next while the joiner applies the last, so the joiner's applying alone sets the pace.
 * About 2 MB, so that a pause on either side (a garbage collection) does not drain it.
 */
export const STATE_WINDOW = 32;

/** A state transfer this node awaits: request id, chunk numbers applied, the chunk count. */
interface Transfer {
  q: string;
  applied: Set<number>;
  total: number | undefined;
  done: (ok: boolean | "busy") => void;
}

/** Transfers done and failed, and the last one's duration. */
export interface TransferCounters {
  transfers: number;
  transferFailures: number;
  transferMs: number;
}

/** One manager's state transfers, both ways. */
export class StateTransfer {
  readonly #options: ManagerBase & { stateTransferTimeout: number };
  readonly #store: SessionStore;
  readonly #counters: TransferCounters;
  #transfer: Transfer | undefined;
  /** True once this node holds the cluster's state; until then it answers "busy" to joiners. */
  ready = false;

  constructor(
    options: ManagerBase & { stateTransferTimeout: number },
    store: SessionStore,
    counters: TransferCounters,
  ) {
    this.#options = options;
    this.#store = store;
    this.#counters = counters;
  }

  /**
   * Answers a joiner's `state?`: the sessions, or "busy" while this node is joining itself.
   * `form`: the highest chunk form the joiner reads (the compact one from 2 on).
   */
  answer(q: string, to: Member, form?: unknown): void {
    if (!this.ready) this.answerBusy(q, to);
    // Stream after acknowledging the request: the requester's receive queue stays free.
    else void this.#send(q, to, typeof form === "number" && form >= COMPACT_FORM);
  }

  /** Tells a joiner this node holds no state to give yet (still joining, or not started). */
  answerBusy(q: string, to: Member): void {
    const busy: StateChunk = {
      cdm: 1,
      ctx: this.#options.name,
      t: "state",
      q,
      n: 0,
      s: [],
      end: true,
      busy: true,
    };
    // After this message's ack: the asker's receive queue must not wait on us.
    queueMicrotask(() => void this.#options.channel.send([to], busy, SYNC).catch(() => {}));
  }

  /** Applies one chunk (all or none), and counts it towards the transfer it belongs to. */
  received(chunk: StateChunk): void {
    const { n, total, s, c } = chunk;
    if (!Array.isArray(s) && c === undefined) {
      throw new ConclaveError("SESSION_ERR_REPLICATION", "A state chunk without sessions");
    }
    if (
      !Number.isSafeInteger(n) || n < 0 ||
      (total !== undefined && (!Number.isSafeInteger(total) || n >= total))
    ) {
      throw new ConclaveError(
        "SESSION_ERR_REPLICATION",
        `A state chunk numbered ${String(n).slice(0, 20)} of ${String(total).slice(0, 20)}`,
      );
    }
    // apply() merges by versions, so chunks may be applied in any order.
    if (Array.isArray(s)) {
      for (const d of s) checkDelta(d);
      for (const delta of s) this.#store.apply(delta);
    } else {
      checkCompact(chunk);
      applyCompact(this.#store, chunk as Required<StateChunk>);
    }
    const transfer = this.#transfer;
    if (transfer && transfer.q === chunk.q) this.#chunkApplied(transfer, chunk);
  }

  /** Counts the distinct chunks of the transfer; done once every one of them is applied. */
  #chunkApplied(transfer: Transfer, chunk: StateChunk): void {
    if (chunk.busy) {
      transfer.done("busy");
      return;
    }
    const { n, end, total } = chunk;
    // A sender that names no total sends in order on one connection: its last chunk counts.
    if (total !== undefined) transfer.total = total;
    else if (end) transfer.total = n + 1;
    transfer.applied.add(n);
    const { logger } = this.#options;
    const count = transfer.applied.size;
    const of = transfer.total;
    logger.debug({ chunk: n, of, sessions: this.#store.size }, "State transfer chunk applied");
    if (of === undefined) return;
    if (count >= of) {
      transfer.done(true);
    } else if (of >= 20 && Math.floor((count * 10) / of) > Math.floor(((count - 1) * 10) / of)) {
      logger.info({ chunks: count, of, sessions: this.#store.size }, "State transfer in progress");
    }
  }

  async #send(q: string, to: Member, compact: boolean): Promise<void> {
    const { clock, logger, name } = this.#options;
    const started = clock.now();
    const sessions = this.#store.size;
    let total = 0;
    // A few chunks in flight: encoding the next overlaps the joiner's decoding of the last.
    const inFlight = new Set<Promise<void>>();
    let failed: Error | undefined;
    try {
      for (const message of chunkMessages(this.#store, name, q, compact)) {
        if (failed) break;
        total = message.total ?? 1;
        const sent: Promise<void> = this.#sendChunk(to, message).then(
          () => void inFlight.delete(sent),
          (err: Error) => {
            failed ??= err;
            inFlight.delete(sent);
          },
        );
        inFlight.add(sent);
        if (inFlight.size >= STATE_WINDOW) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failed) throw failed;
      logger.info(
        { to: to.name, sessions, chunks: total, ms: clock.now() - started },
        "State sent to a joining member",
      );
    } catch (err) {
      logger.warn(
        { to: to.name, err: (err as Error).message },
        "State transfer to a member failed",
      );
    }
  }

  /**
   * Sends one chunk. A chunk that cannot be encoded (a value changed after `set` checked it, to
   * something CBOR cannot carry) is sent again without the sessions that fail alone, each logged:
   * one bad session never fails the whole transfer.
   */
  async #sendChunk(to: Member, chunk: StateChunk): Promise<void> {
    try {
      await this.#options.channel.send([to], chunk, SYNC);
    } catch (err) {
      if ((err as ConclaveError).code !== "CHANNEL_ERR_PAYLOAD") throw err;
      const encodes = (piece: unknown, id: unknown) => {
        try {
          encodeValue(piece);
          return true;
        } catch (cause) {
          this.#options.logger.error(
            { session: id, to: to.name, err: (cause as Error).message },
            "A session that cannot be encoded was left out of the state transfer",
          );
          return false;
        }
      };
      if (chunk.c) {
        const sessions = compactSessions(chunk.c);
        const good = sessions.filter((flat) => encodes(flat, flat[0]));
        if (good.length === sessions.length) throw err;
        await this.#options.channel.send([to], { ...chunk, c: good.flat() }, SYNC);
        return;
      }
      const pieces = chunk.s ?? [];
      const good = pieces.filter((piece) => encodes(piece, piece.id));
      if (good.length === pieces.length) throw err;
      await this.#options.channel.send([to], { ...chunk, s: good }, SYNC);
    }
  }

  /** Asks one member after another for the state until one delivers it whole. */
  async fetch(): Promise<void> {
    const { channel, clock, logger, stateTransferTimeout, name } = this.#options;
    // Ask members that hold the state first: a node joining at the same time has nothing yet.
    const members = [...channel.getMembers()].sort((a, b) => Number(b.ready) - Number(a.ready));
    if (members.length === 0) {
      logger.info("No member seen: starting without sessions");
      this.ready = true;
      return;
    }
    let busy = 0;
    const started = clock.now();
    for (const member of members) {
      const q = crypto.randomUUID();
      let cancel: Cancel | undefined;
      const done = new Promise<boolean | "busy">((resolve) => {
        this.#transfer = { q, applied: new Set(), total: undefined, done: resolve };
        cancel = clock.setTimeout(() => resolve(false), stateTransferTimeout * 1000);
      });
      try {
        const ask = { cdm: 1, ctx: name, t: "state?", q, f: COMPACT_FORM } as const;
        await channel.send([member], ask, SYNC);
      } catch (err) {
        cancel?.();
        this.#counters.transferFailures++;
        logger.warn(
          { from: member.name, err: (err as Error).message },
          "State transfer request failed; trying another member",
        );
        continue;
      }
      const ok = await done;
      cancel?.();
      this.#transfer = undefined;
      if (ok === "busy") {
        busy++;
        logger.info({ from: member.name }, "That member is joining too; asking another");
        continue;
      }
      if (ok) {
        this.ready = true;
        this.#counters.transfers++;
        this.#counters.transferMs = clock.now() - started;
        logger.info(
          { from: member.name, sessions: this.#store.size, ms: clock.now() - started },
          "State transfer done",
        );
        return;
      }
      this.#counters.transferFailures++;
      logger.error(
        { from: member.name, timeout: stateTransferTimeout },
        "State transfer timed out; trying another member",
      );
    }
    if (busy === members.length) {
      // Everyone is joining at once: there is no state yet to fetch.
      this.ready = true;
      return;
    }
    throw new ConclaveError(
      "NODE_ERR_START",
      `No member delivered the sessions of ${name} within stateTransferTimeout`,
    );
  }
}

/**
 * The chunk messages of a state transfer of `store`, for request `q` of app `ctx`, in the
 * compact form or the first.
 */
export function* chunkMessages(
  store: SessionStore,
  ctx: string,
  q: string,
  compact: boolean,
): Generator<StateChunk> {
  const all = [...store.sessions()];
  const plan = planChunks(all);
  const total = Math.max(1, plan.length);
  for (let n = 0; n < total; n++) {
    const head = { cdm: 1, ctx, t: "state", q, n, total, end: n === total - 1 } as const;
    const entries = plan[n] ?? [];
    if (compact) {
      const writer = new CompactWriter(store);
      for (const [i, names] of entries) writer.add(all[i], names);
      yield { ...head, nodes: writer.nodes, names: writer.names, c: writer.c };
    } else {
      yield { ...head, s: entries.map(([i, names]) => piece(store, all[i], names)) };
    }
  }
}

/** The whole session, or the part of it holding `names`. */
function piece(
  store: SessionStore,
  session: StoredSession,
  names: ReadonlySet<string> | undefined,
): SessionDelta {
  const full = store.full(session);
  return names ? { ...full, attrs: full.attrs.filter(([name]) => names.has(name)) } : full;
}

/** One entry of a chunk: a session (by index), whole or only the attributes named. */
export type ChunkEntry = readonly [index: number, names: ReadonlySet<string> | undefined];

/**
 * The state transfer's chunks: at most STATE_CHUNK sessions, cut once the estimated bytes reach
 * STATE_CHUNK_BYTES; a session bigger than that is cut by attributes into chunks of its own (an
 * attribute bigger than that travels alone), so every session `set` accepted fits the frames a
 * joiner reads.
 */
export function planChunks(sessions: readonly StoredSession[]): ChunkEntry[][] {
  const plan: ChunkEntry[][] = [];
  let open: ChunkEntry[] = [];
  let count = 0;
  let bytes = 0;
  const close = () => {
    if (open.length > 0) plan.push(open);
    open = [];
    count = 0;
    bytes = 0;
  };
  sessions.forEach((session, i) => {
    const sizes: [string, number][] = [];
    let size = 64; // id, times, versions
    for (const [name, value] of session.attributes) {
      const attr = name.length + 12 + estimateSize(value, STATE_CHUNK_BYTES);
      sizes.push([name, attr]);
      size += attr;
    }
    if (size > STATE_CHUNK_BYTES) {
      close();
      let names = new Set<string>();
      let part = 64;
      for (const [name, attr] of sizes) {
        if (names.size > 0 && part + attr > STATE_CHUNK_BYTES) {
          plan.push([[i, names]]);
          names = new Set();
          part = 64;
        }
        names.add(name);
        part += attr;
      }
      // The last part also carries the session when it has no attributes left to name.
      plan.push([[i, names.size > 0 ? names : undefined]]);
      return;
    }
    if (count > 0 && (count >= STATE_CHUNK || bytes + size > STATE_CHUNK_BYTES)) close();
    open.push([i, undefined]);
    count++;
    bytes += size;
  });
  close();
  return plan;
}
