/**
 * `DeltaManager`: every node holds every session of the app; at the end of each request only
 * the attributes it changed travel, with the cluster's `channelSendOptions`.
 *
 * Beyond Tomcat: attributes carry versions (concurrent writes converge on every node), an
 * invalidated or expired session leaves a tombstone (a late delta cannot bring it back), expiry
 * is decided by one node and replicated, a session's creation travels with its first attributes
 * (they can never be reordered), and state transfer streams in chunks with a retry.
 *
 * @module
 */
import type { Cancel } from "../../../src/interfaces/clock.ts";
import type { Manager } from "../../../src/interfaces/manager.ts";
import type { Member } from "../../../src/interfaces/member.ts";
import { SendOptions } from "../../../src/interfaces/message.ts";
import type { SessionListener } from "../../../src/interfaces/session_listener.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { newSessionId, parseSessionId } from "../../../src/session/ids.ts";
import type { ManagerBase } from "../../../src/session/manager_components.ts";
import { BUNDLE_MAX_BYTES, estimateSize, TurnBundler } from "../../../src/session/bundle.ts";
import { checkDelta } from "../../../src/session/wire_check.ts";
import {
  type SessionDelta,
  SessionStore,
  StoredSession,
  type Version,
} from "../../../src/session/store.ts";

/** Most sessions per state-transfer chunk: no single giant message, whatever the session count. */
export const STATE_CHUNK = 500;
/**
 * Estimated bytes after which a state-transfer chunk is cut (a chunk holds at least one
 * session), so that big sessions never make a chunk over `maxFrameSize`: 500 sessions of 100 KB
 * would be a 50 MB frame, refused at the default 32 MiB, and the joiner would retry forever.
 */
export const STATE_CHUNK_BYTES = 256 * 1024;
/**
 * State-transfer chunks in flight (sent, not yet acknowledged as applied): the sender encodes
 * the next while the joiner applies the last, so the joiner's applying alone sets the pace.
 * About 2 MB of 1 KiB sessions, as 4 chunks of 500 were before chunks were cut by bytes.
 */
export const STATE_WINDOW = 8;
const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;
export { BUNDLE_MAX_BYTES, BUNDLE_MAX_DELTAS } from "../../../src/session/bundle.ts";

type Wire =
  | { cdm: 1; ctx: string; t: "delta"; d: SessionDelta }
  /** The deltas of requests that ended in the same turn of the event loop, in order. */
  | { cdm: 1; ctx: string; t: "deltas"; d: SessionDelta[] }
  | { cdm: 1; ctx: string; t: "gone"; id: string; v: Version; why?: "invalidated" | "expired" }
  | { cdm: 1; ctx: string; t: "state?"; q: string }
  | {
    cdm: 1;
    ctx: string;
    t: "state";
    q: string;
    /** Chunk number, from 0; chunks may arrive in any order. */
    n: number;
    s: SessionDelta[];
    /** Marks the last chunk (read by joiners that predate `total`). */
    end: boolean;
    /** How many chunks make the state; absent from older senders. */
    total?: number;
    /** The asked node is itself still joining: ask another. */
    busy?: true;
  };

/** A state transfer this node awaits: request id, chunk numbers applied, the chunk count. */
interface Transfer {
  q: string;
  applied: Set<number>;
  total: number | undefined;
  done: (ok: boolean | "busy") => void;
}

/** `jvmRoute` and `nodeId` (in ManagerBase): this node's route (session id suffix) and member id. */
export interface DeltaManagerOptions extends ManagerBase {
  /** Seconds a joining node waits for the state before it retries with another member. */
  stateTransferTimeout: number;
  /** Default `maxInactiveInterval` of new sessions, seconds. */
  maxInactiveInterval: number;
  expireSessionsOnShutdown: boolean;
  /** Session listeners also fire for changes that arrive from other nodes. */
  notifyListenersOnReplication?: boolean;
  /** How often expiry is checked, ms. */
  processExpiresFrequency: number;
}

export class DeltaManager implements Manager {
  readonly name: string;
  readonly store: SessionStore;
  #options: DeltaManagerOptions;
  #started = false;
  #listening = false;
  #stopExpiry: Cancel | undefined;
  #transfer: Transfer | undefined;
  /** True once this node holds the cluster's state; until then it answers "busy" to joiners. */
  #ready = false;
  #listeners: SessionListener[] = [];
  /** Deltas waiting for the end of this turn of the event loop, and their one send. */
  #bundle = new TurnBundler<SessionDelta>((deltas) =>
    this.#broadcast(
      deltas.length === 1
        ? { cdm: 1, ctx: this.name, t: "delta", d: deltas[0] }
        : { cdm: 1, ctx: this.name, t: "deltas", d: deltas },
    )
  );
  /** Messages sent and received, for tests and metrics. */
  readonly counters = { sent: 0, received: 0, transfers: 0, transferFailures: 0, transferMs: 0 };

  constructor(options: DeltaManagerOptions) {
    this.name = options.name;
    this.#options = options;
    this.store = new SessionStore(options.nodeId);
    // Listen from the start, so that a joiner asking before this manager started hears "busy"
    // instead of a silent acknowledgement and a stateTransferTimeout.
    this.#listen();
  }

  get sessionCount(): number {
    return this.store.size;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { clock, processExpiresFrequency } = this.#options;
    this.#stopExpiry = clock.setInterval(() => void this.expire(), processExpiresFrequency);
    await this.#fetchState();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#stopExpiry?.();
    if (this.#options.expireSessionsOnShutdown) {
      for (const session of [...this.store.sessions()]) await this.invalidate(session.id);
    }
  }

  /**
   * A new session, replicated at the end of its first request. `id` lets library mode keep ids
   * a framework generated (they must parse as Conclave ids); by default a fresh one.
   */
  createSession(id?: string): StoredSession {
    const { clock, jvmRoute, maxInactiveInterval } = this.#options;
    if (
      id !== undefined &&
      (!parseSessionId(id) || this.store.get(id) ||
        this.store.isTombstoned(parseSessionId(id)?.base ?? ""))
    ) {
      throw new ConclaveError(
        "SESSION_ERR_ID",
        `Cannot create a session with id ${
          JSON.stringify(id).slice(0, 80)
        }: expected a new id of 32 hex digits and a route`,
      );
    }
    const session = new StoredSession(
      id ?? newSessionId(jvmRoute),
      clock.now(),
      maxInactiveInterval,
    );
    session.unsent = true;
    this.store.add(session);
    return session;
  }

  /** Adds lifecycle hooks (an app's `sessionListener`). */
  addSessionListener(listener: SessionListener): void {
    this.#listeners.push(listener);
  }

  #fire(replicated: boolean, call: (l: SessionListener) => void): void {
    if (replicated && this.#options.notifyListenersOnReplication === false) return;
    for (const listener of this.#listeners) {
      try {
        call(listener);
      } catch (err) {
        this.#options.logger.warn({ err }, "A session listener threw");
      }
    }
  }

  findSession(id: string): StoredSession | undefined {
    return this.store.get(id);
  }

  /**
   * Replicates what the request changed. A request that only read sends nothing, unless the
   * session's id routes to another node: that node decides expiry, so it learns of the access
   * (only its time travels), as Tomcat's EVT_SESSION_ACCESSED from a non-primary node. With
   * JvmRouteBinderValve the route moves to the serving node instead, and this never happens.
   */
  async requestCompleted(id: string): Promise<void> {
    const session = this.store.get(id);
    if (!session) return;
    const created = session.unsent;
    const delta = this.store.takeDelta(session) ??
      (parseSessionId(session.id)?.route === this.#options.jvmRoute
        ? undefined
        : this.store.snapshot(session, []));
    if (!delta) return;
    this.#announce(session, delta, created, false);
    await this.#queue(delta);
  }

  /** The deltas of all requests that end in this turn travel as one message (`bundle.ts`). */
  #queue(delta: SessionDelta): Promise<void> {
    return this.#bundle.add(delta, estimateSize(delta.attrs, BUNDLE_MAX_BYTES));
  }

  /**
   * Moves a session to a new id (`changeId`): the old id is invalidated everywhere, the new one
   * carries every attribute at the end of the request.
   */
  changeId(session: StoredSession): StoredSession {
    const { clock, jvmRoute } = this.#options;
    const moved = new StoredSession(
      newSessionId(jvmRoute),
      session.creationTime,
      session.maxInactiveInterval,
    );
    moved.lastAccessedTime = clock.now();
    for (const [name, value] of session.attributes) moved.attributes.set(name, value);
    for (const name of session.local) moved.local.add(name);
    moved.unsent = true;
    this.store.add(moved);
    void this.invalidate(session.id).catch((err) =>
      this.#options.logger.warn(
        { err: (err as Error).message },
        "Replicating the old id's end failed",
      )
    );
    return moved;
  }

  #announce(
    session: StoredSession,
    delta: SessionDelta,
    created: boolean,
    replicated: boolean,
  ): void {
    if (this.#listeners.length === 0) return;
    if (created) this.#fire(replicated, (l) => l.created?.(session, replicated));
    for (const [name, value, , removed] of delta.attrs) {
      this.#fire(
        replicated,
        (l) => l.attributeChanged?.(session, name, removed ? undefined : value, replicated),
      );
    }
  }

  /** Removes a session everywhere; its tombstone outlives any delta still in flight. */
  async invalidate(id: string, reason: "invalidated" | "expired" = "invalidated"): Promise<void> {
    const session = this.store.invalidate(id, this.#tombstoneUntil());
    if (!session) return;
    this.#fire(false, (l) => l.destroyed?.(session, reason, false));
    await this.#broadcast({
      cdm: 1,
      ctx: this.name,
      t: "gone",
      id: session.id,
      v: this.store.nextVersion(),
    });
  }

  /**
   * Expires idle sessions. One node decides for each session, the one its id routes to, or,
   * when that node is gone, the live member with the smallest id, and replicates the decision.
   */
  async expire(): Promise<void> {
    const now = this.#options.clock.now();
    this.store.pruneTombstones(now);
    const routes = new Set(this.#options.channel.getMembers().map((m) => m.jvmRoute));
    const smallest = this.#options.channel.getMembers().every((m) =>
      m.id.hex > this.#options.nodeId
    );
    for (const session of [...this.store.sessions()]) {
      const idle = now - session.lastAccessedTime;
      if (session.maxInactiveInterval <= 0 || idle < session.maxInactiveInterval * 1000) continue;
      const route = parseSessionId(session.id)?.route ?? "";
      const mine = route === this.#options.jvmRoute || (!routes.has(route) && smallest);
      if (mine) await this.invalidate(session.id, "expired").catch(() => {});
    }
  }

  async #broadcast(message: Wire): Promise<void> {
    const members = this.#options.channel.getMembers();
    if (members.length === 0) return;
    this.counters.sent++;
    await this.#options.channel.send(members, message, this.#options.sendOptions);
  }

  #tombstoneUntil(): number {
    // Long enough for any delayed delta; bounded so tombstones do not pile up.
    return this.#options.clock.now() + 10 * 60_000;
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.#options.channel.addChannelListener({
      accept: (value) =>
        typeof value === "object" && value !== null && (value as Wire).cdm === 1 &&
        (value as Wire).ctx === this.name,
      messageReceived: (value, sender) => this.#received(value as Wire, sender),
    });
  }

  #received(message: Wire, sender: Member): void | Promise<void> {
    if (!this.#started) {
      if (message.t === "state?") this.#answerBusy(message.q, sender);
      return;
    }
    this.counters.received++;
    switch (message.t) {
      case "delta":
        checkDelta(message.d);
        this.#applyDelta(message.d);
        return;
      case "deltas":
        if (!Array.isArray(message.d)) {
          throw new ConclaveError("SESSION_ERR_REPLICATION", "A delta bundle that is not a list");
        }
        for (const d of message.d) checkDelta(d); // all or none: a bad one refuses the bundle
        for (const d of message.d) this.#applyDelta(d);
        return;
      case "gone": {
        const { id, why } = message;
        if (typeof id !== "string" || !parseSessionId(id)) {
          throw new ConclaveError("SESSION_ERR_REPLICATION", "An end of a session without an id");
        }
        const reason = why === "expired" ? "expired" : "invalidated";
        const session = this.store.invalidate(id, this.#tombstoneUntil());
        if (session) this.#fire(true, (l) => l.destroyed?.(session, reason, true));
        return;
      }
      case "state?":
        if (!this.#ready) {
          this.#answerBusy(message.q, sender);
          return;
        }
        // Stream after acknowledging the request: the requester's receive queue stays free.
        void this.#sendState(message.q, sender);
        return;
      case "state": {
        const { n, total, s } = message;
        if (!Array.isArray(s)) {
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
        for (const d of s) checkDelta(d);
        // apply() merges by versions, so chunks may be applied in any order.
        for (const delta of s) this.store.apply(delta);
        const transfer = this.#transfer;
        if (transfer && transfer.q === message.q) this.#chunkApplied(transfer, message);
        return;
      }
    }
  }

  /** Counts the distinct chunks of the transfer; done once every one of them is applied. */
  #chunkApplied(transfer: Transfer, chunk: Extract<Wire, { t: "state" }>): void {
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
    logger.debug({ chunk: n, of, sessions: this.store.size }, "State transfer chunk applied");
    if (of === undefined) return;
    if (count >= of) {
      transfer.done(true);
    } else if (of >= 20 && Math.floor((count * 10) / of) > Math.floor(((count - 1) * 10) / of)) {
      logger.info({ chunks: count, of, sessions: this.store.size }, "State transfer in progress");
    }
  }

  #applyDelta(delta: SessionDelta): void {
    const known = this.store.get(delta.id) !== undefined;
    const session = this.store.apply(delta);
    if (session) this.#announce(session, delta, !known, true);
  }

  /** Tells a joiner this node holds no state to give yet (still joining, or not started). */
  #answerBusy(q: string, to: Member): void {
    const busy: Wire = {
      cdm: 1,
      ctx: this.name,
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

  async #sendState(q: string, to: Member): Promise<void> {
    const { channel, clock, logger } = this.#options;
    const started = clock.now();
    const all = [...this.store.sessions()];
    const ends = chunkEnds(all);
    const total = Math.max(1, ends.length);
    // A few chunks in flight: encoding the next overlaps the joiner's decoding of the last.
    const inFlight = new Set<Promise<void>>();
    let failed: Error | undefined;
    try {
      for (let n = 0; n < total && !failed; n++) {
        const s: SessionDelta[] = [];
        for (let i = n === 0 ? 0 : ends[n - 1]; i < (ends[n] ?? 0); i++) {
          s.push(this.store.full(all[i]));
        }
        const message: Wire = {
          cdm: 1,
          ctx: this.name,
          t: "state",
          q,
          n,
          total,
          s,
          end: n === total - 1,
        };
        const sent: Promise<void> = channel.send([to], message, SYNC).then(
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
        { to: to.name, sessions: all.length, chunks: total, ms: clock.now() - started },
        "State sent to a joining member",
      );
    } catch (err) {
      logger.warn(
        { to: to.name, err: (err as Error).message },
        "State transfer to a member failed",
      );
    }
  }

  /** Asks one member after another for the state until one delivers it whole. */
  async #fetchState(): Promise<void> {
    const { channel, clock, logger, stateTransferTimeout } = this.#options;
    // Ask members that hold the state first: a node joining at the same time has nothing yet.
    const members = [...channel.getMembers()].sort((a, b) => Number(b.ready) - Number(a.ready));
    if (members.length === 0) {
      logger.info("No member seen: starting without sessions");
      this.#ready = true;
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
        await channel.send([member], { cdm: 1, ctx: this.name, t: "state?", q }, SYNC);
      } catch (err) {
        cancel?.();
        this.counters.transferFailures++;
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
        this.#ready = true;
        this.counters.transfers++;
        this.counters.transferMs = clock.now() - started;
        logger.info(
          { from: member.name, sessions: this.store.size, ms: clock.now() - started },
          "State transfer done",
        );
        return;
      }
      this.counters.transferFailures++;
      logger.error(
        { from: member.name, timeout: stateTransferTimeout },
        "State transfer timed out; trying another member",
      );
    }
    if (busy === members.length) {
      // Everyone is joining at once: there is no state yet to fetch.
      this.#ready = true;
      return;
    }
    throw new ConclaveError(
      "NODE_ERR_START",
      `No member delivered the sessions of ${this.name} within stateTransferTimeout`,
    );
  }
}

/**
 * Where each state-transfer chunk ends (exclusive indexes into `sessions`): at most STATE_CHUNK
 * sessions, cut once the estimated bytes reach STATE_CHUNK_BYTES.
 */
export function chunkEnds(sessions: readonly StoredSession[]): number[] {
  const ends: number[] = [];
  let count = 0;
  let bytes = 0;
  for (let i = 0; i < sessions.length; i++) {
    let size = 64; // id, times, versions
    for (const [name, value] of sessions[i].attributes) {
      size += name.length + 12 + estimateSize(value, STATE_CHUNK_BYTES);
    }
    if (count > 0 && (count >= STATE_CHUNK || bytes + size > STATE_CHUNK_BYTES)) {
      ends.push(i);
      count = 0;
      bytes = 0;
    }
    count++;
    bytes += size;
  }
  if (count > 0) ends.push(sessions.length);
  return ends;
}
