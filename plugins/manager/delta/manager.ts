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
import { isExpired, type Manager, type SessionRecord } from "../../../src/interfaces/manager.ts";
import type { Member } from "../../../src/interfaces/member.ts";
import type { SessionListener } from "../../../src/interfaces/session_listener.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { newIdOr, newSessionId, parseSessionId } from "../../../src/session/ids.ts";
import { checkSessionLimit } from "../../../src/session/limits.ts";
import type { ManagerBase } from "../../../src/session/manager_components.ts";
import {
  BUNDLE_MAX_BYTES,
  estimateSize,
  splitDelta,
  TurnBundler,
} from "../../../src/session/bundle.ts";
import { checkDelta } from "../../../src/session/wire_check.ts";
import { type SessionDelta, SessionStore, StoredSession } from "../../../src/session/store.ts";
import { StateTransfer } from "./state_transfer.ts";
import { AntiEntropy } from "./anti_entropy.ts";
import { isWire, type Wire } from "./wire.ts";

export { planChunks, STATE_CHUNK, STATE_CHUNK_BYTES, STATE_WINDOW } from "./state_transfer.ts";
export { BUNDLE_MAX_BYTES, BUNDLE_MAX_DELTAS } from "../../../src/session/bundle.ts";

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
  /** The most sessions held at once; -1: no limit. @default -1 */
  maxActiveSessions?: number;
  /** Seconds a tombstone is kept: the longest partition after which nothing comes back. @default 3600 */
  maxPartitionTime?: number;
  /** Seconds between anti-entropy rounds (0: only when a member (re)appears). @default 60 */
  antiEntropyInterval?: number;
}

export class DeltaManager implements Manager {
  readonly name: string;
  readonly store: SessionStore;
  #options: DeltaManagerOptions;
  #started = false;
  #listening = false;
  #stopExpiry: Cancel | undefined;
  readonly #state: StateTransfer;
  readonly #entropy: AntiEntropy;
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
    this.#state = new StateTransfer(options, this.store, this.counters);
    this.#entropy = new AntiEntropy({
      ...options,
      store: this.store,
      header: { cdm: 1, ctx: this.name },
      interval: (options.antiEntropyInterval ?? 60) * 1000,
      maxPartitionTime: this.#maxPartitionMs(),
      apply: (delta) => this.#applyDelta(delta, true),
      gone: (base, until) => {
        if (this.store.isTombstoned(base)) return false;
        const session = this.store.invalidate(base, until);
        if (session) this.#fire(true, (l) => l.destroyed?.(session, "invalidated", true));
        return true;
      },
    });
    // Listen from the start, so that a joiner asking before this manager started hears "busy"
    // instead of a silent acknowledgement and a stateTransferTimeout.
    this.#listen();
  }

  get sessionCount(): number {
    return this.store.size;
  }

  get maxActiveSessions(): number {
    return this.#options.maxActiveSessions ?? -1;
  }

  get maxInactiveInterval(): number {
    return this.#options.maxInactiveInterval;
  }

  get stateTransferMs(): number {
    return this.counters.transferMs;
  }

  /** Anti-entropy and conflict figures for the metrics. */
  get stats(): Readonly<Record<string, number>> {
    const { rounds, repaired, bytes } = this.#entropy.counters;
    return {
      conflicts: this.store.stats.conflicts,
      antiEntropyRounds: rounds,
      antiEntropyRepaired: repaired,
      antiEntropyBytes: bytes,
    };
  }

  /** Starts anti-entropy rounds with `member` now (it is also done on reconnection and periodically). */
  antiEntropy(member: Member): Promise<number> {
    return this.#entropy.round(member);
  }

  now(): number {
    return this.#options.clock.now();
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { clock, processExpiresFrequency } = this.#options;
    this.#stopExpiry = clock.setInterval(() => void this.expire(), processExpiresFrequency);
    await this.#state.fetch();
    this.#entropy.start();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#stopExpiry?.();
    this.#entropy.stop();
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
    checkSessionLimit(this.name, this.store.size, this.maxActiveSessions);
    const session = new StoredSession(
      newIdOr(
        id,
        jvmRoute,
        (base) => this.store.get(base) !== undefined || this.store.isTombstoned(base),
      ),
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

  /** The session, unless it expired (the deciding node's `gone` may not have arrived yet). */
  findSession(id: string): StoredSession | undefined {
    const session = this.store.get(id);
    return session && !isExpired(session, this.now()) ? session : undefined;
  }

  *sessions(): IterableIterator<StoredSession> {
    const now = this.now();
    for (const session of this.store.sessions()) if (!isExpired(session, now)) yield session;
  }

  access(record: SessionRecord): void {
    this.store.access(record.id, this.now());
  }

  /** Moves the session to `jvmRoute`'s suffix; the new id travels with its next changes. */
  rebind(record: SessionRecord, jvmRoute: string): string {
    return this.store.rebind(record.id, jvmRoute);
  }

  /**
   * Replicates what the request changed. A request that only read sends nothing, unless the
   * session's id routes to another node: that node decides expiry, so it learns of the access
   * (only its time travels), as Tomcat's EVT_SESSION_ACCESSED from a non-primary node. With
   * JvmRouteBinderValve the route moves to the serving node instead, and this never happens.
   */
  async requestCompleted(id: string, options?: { touch?: boolean }): Promise<void> {
    const session = this.store.get(id);
    if (!session) return;
    if (options?.touch) session.metaDirty = true;
    const created = session.unsent;
    const delta = this.store.takeDelta(session) ??
      (parseSessionId(session.id)?.route === this.#options.jvmRoute
        ? undefined
        : this.store.snapshot(session, []));
    if (!delta) return;
    this.#announce(session, delta, created, false);
    // A big session's changes travel in several messages, each within maxFrameSize.
    const pieces = splitDelta(delta);
    if (pieces.length === 1) await this.#queue(delta);
    else await Promise.all(pieces.map((piece) => this.#queue(piece)));
  }

  /** The deltas of all requests that end in this turn travel as one message (`bundle.ts`). */
  #queue(delta: SessionDelta): Promise<void> {
    return this.#bundle.add(delta, estimateSize(delta.attrs, BUNDLE_MAX_BYTES));
  }

  /**
   * Moves a session to a new id (`changeId`): the old id is invalidated everywhere, the new one
   * carries every attribute at the end of the request.
   */
  changeId(record: SessionRecord): StoredSession {
    const session = this.store.get(record.id);
    if (!session) {
      throw new ConclaveError("SESSION_ERR_ID", `No session ${record.id} to give a new id`);
    }
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
    // As long as a partition may last, so anti-entropy after it never brings a session back.
    return this.#options.clock.now() + this.#maxPartitionMs();
  }

  #maxPartitionMs(): number {
    return (this.#options.maxPartitionTime ?? 3600) * 1000;
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.#options.channel.addChannelListener({
      accept: (value) => isWire(value, this.name),
      messageReceived: (value, sender) => this.#received(value as Wire, sender),
    });
    // Members that (re)appear compare stores: deltas lost while apart are repaired.
    this.#options.channel.addMembershipListener({
      memberAdded: (member) => {
        // A joiner (not ready) receives the state instead.
        if (this.#started && this.#state.ready && member.ready) this.#entropy.repair(member);
      },
      memberDisappeared: () => {},
    });
  }

  #received(message: Wire, sender: Member): void | Promise<void> {
    if (!this.#started) {
      if (message.t === "state?") this.#state.answerBusy(message.q, sender);
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
        this.#state.answer(message.q, sender, message.f);
        return;
      case "state":
        this.#state.received(message);
        return;
      case "ae":
      case "aes":
      case "aed":
        this.#entropy.received(message, sender);
        return;
    }
  }

  /** Merges a peer's delta; true when it changed this node's store. */
  #applyDelta(delta: SessionDelta, repair = false): boolean {
    const before = this.store.get(delta.id);
    const meta = before?.metaVersion;
    const applied = this.store.stats.applied;
    const session = this.store.apply(delta, repair);
    if (session) this.#announce(session, delta, !before, true);
    return session !== undefined &&
      (!before || this.store.stats.applied > applied || session.metaVersion !== meta);
  }
}
