/**
 * `BackupManager`: each session lives on two nodes, its primary (the node serving it) and one
 * backup chosen by hashing its id over the members that run the app; every other node knows
 * only where it lives. Memory per node grows with sessions / members instead of with all of them.
 *
 * - At the end of a request the primary sends what changed to the backup only.
 * - When the backup dies, the primary picks a new one and copies the session there; when the
 *   primary dies, the backup takes over as primary and copies the session to a new backup.
 * - A request on a node that holds neither copy fetches the session from where it lives, and that
 *   node becomes its primary.
 *
 * @module
 */
import type { Cancel } from "../../../src/interfaces/clock.ts";
import { isExpired, type Manager, type SessionRecord } from "../../../src/interfaces/manager.ts";
import type { Member } from "../../../src/interfaces/member.ts";
import { SendOptions } from "../../../src/interfaces/message.ts";
import { newIdOr, parseSessionId } from "../../../src/session/ids.ts";
import { checkSessionLimit } from "../../../src/session/limits.ts";
import type { ManagerBase } from "../../../src/session/manager_components.ts";
import { type SessionDelta, SessionStore, StoredSession } from "../../../src/session/store.ts";
import {
  BUNDLE_MAX_BYTES,
  estimateSize,
  splitDelta,
  TurnBundler,
} from "../../../src/session/bundle.ts";
import { checkDelta } from "../../../src/session/wire_check.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { checkClaims, claimMessages, type Claims, keeper } from "./heal.ts";

const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;
/** How long a joiner waits for one member to say where sessions live. */
const PLACES_WAIT_MS = 2000;

/** Where a session lives, by member id (hex). */
interface Place {
  primary: string;
  backup: string | undefined;
}

type Wire =
  | { cbm: 1; ctx: string; t: "copy"; d: SessionDelta; p: Place }
  | { cbm: 1; ctx: string; t: "copies"; c: [SessionDelta, Place][] }
  | { cbm: 1; ctx: string; t: "where"; id: string; p: Place }
  | { cbm: 1; ctx: string; t: "wheres"; w: [string, Place][] }
  | { cbm: 1; ctx: string; t: "gone"; id: string }
  | { cbm: 1; ctx: string; t: "fetch?"; id: string }
  | { cbm: 1; ctx: string; t: "fetched"; id: string; d: SessionDelta | null }
  | { cbm: 1; ctx: string; t: "places?" }
  | { cbm: 1; ctx: string; t: "places"; list: [string, string, string | null][] }
  | { cbm: 1; ctx: string; t: "leaving" }
  /** After a heal (`heal.ts`): what the sender is primary of and what it ended. */
  | ({ cbm: 1; ctx: string } & Claims)
  /** A copy from a primary that gives the session up to the receiver (two primaries met). */
  | { cbm: 1; ctx: string; t: "yield"; d: SessionDelta };

export interface BackupManagerOptions extends ManagerBase {
  maxInactiveInterval: number;
  /** How often the sessions this node is primary of are checked for expiry, ms. @default 10000 */
  processExpiresFrequency?: number;
  /** The most sessions (`sessionCount`) at once; -1: no limit. @default -1 */
  maxActiveSessions?: number;
  /** Seconds a tombstone is kept: the longest partition after which nothing comes back. @default 3600 */
  maxPartitionTime?: number;
}

function refused(what: string): ConclaveError {
  return new ConclaveError("SESSION_ERR_REPLICATION", `Refused a BackupManager message: ${what}`);
}

const isNodeId = (v: unknown): v is string => typeof v === "string" && v.length <= 64;

/** Throws SESSION_ERR_REPLICATION unless `p` is a `{ primary, backup? }` of member ids. */
function checkPlace(p: unknown): asserts p is Place {
  const x = p as Record<string, unknown> | null;
  if (
    typeof x !== "object" || x === null || !isNodeId(x.primary) ||
    (x.backup !== undefined && x.backup !== null && !isNodeId(x.backup))
  ) {
    throw refused("a place is not { primary, backup } member ids");
  }
}

/** The session id's 32 hex characters, or SESSION_ERR_REPLICATION. */
function baseOf(id: unknown): string {
  const base = typeof id === "string" ? parseSessionId(id)?.base : undefined;
  if (base === undefined) throw refused(`session id ${String(id).slice(0, 80)}`);
  return base;
}

/** FNV-1a over the id: a stable, evenly spread choice of backup. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class BackupManager implements Manager {
  readonly name: string;
  /** The sessions this node holds, as primary or backup. */
  readonly store: SessionStore;
  #options: BackupManagerOptions;
  #where = new Map<string, Place>();
  #started = false;
  #fetching = new Map<string, (delta: SessionDelta | undefined) => void>();
  /** Members handing their copies over before they leave: never chosen as a backup. */
  #leaving = new Set<string>();
  /** Copies bound for each backup (by member id) in this turn, sent as one message. */
  #bundles = new Map<string, TurnBundler<[SessionDelta, Place]>>();
  /** Where the sessions created or moved in this turn live, told to every member at once. */
  #wheres = new TurnBundler<[string, Place]>(async (w) => {
    const members = this.#options.channel.getMembers();
    if (members.length === 0) return;
    await this.#send(
      members,
      w.length === 1
        ? { cbm: 1, ctx: this.name, t: "where", id: w[0][0], p: w[0][1] }
        : { cbm: 1, ctx: this.name, t: "wheres", w },
    );
  });
  readonly counters = { copiesSent: 0, fetches: 0, restored: 0, handedOver: 0 };

  constructor(options: BackupManagerOptions) {
    this.name = options.name;
    this.#options = options;
    this.store = new SessionStore(options.nodeId);
  }

  /** Sessions this node knows of in the cluster (it holds a copy of some of them). */
  get sessionCount(): number {
    return this.#where.size;
  }

  get maxActiveSessions(): number {
    return this.#options.maxActiveSessions ?? -1;
  }

  /** The timeout new sessions get, seconds. */
  get maxInactiveInterval(): number {
    return this.#options.maxInactiveInterval;
  }

  now(): number {
    return this.#options.clock.now();
  }

  /** Where a session lives, for tests and status. */
  placeOf(id: string): Place | undefined {
    const base = parseSessionId(id)?.base;
    return base ? this.#where.get(base) : undefined;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { channel, clock, processExpiresFrequency } = this.#options;
    this.#stopExpiry = clock.setInterval(
      () => void this.expire(),
      processExpiresFrequency ?? 10_000,
    );
    if (!this.#listening) {
      this.#listening = true;
      channel.addChannelListener({
        accept: (v) =>
          typeof v === "object" && v !== null && (v as Wire).cbm === 1 &&
          (v as Wire).ctx === this.name,
        messageReceived: (v, from) => this.#received(v as Wire, from),
      });
      channel.addMembershipListener({
        // A member met again (a heal) learns what this node serves and ended while apart.
        memberAdded: (member) => {
          if (this.#started && member.ready) void this.#claim(member).catch(() => {});
        },
        memberDisappeared: (member) => {
          const hex = member.id.hex;
          this.#bundles.delete(hex);
          // A fetch the member never answered: the next holder is asked instead.
          for (const [key, waiting] of this.#fetching) {
            if (!key.startsWith(`${hex} `)) continue;
            this.#fetching.delete(key);
            waiting(undefined);
          }
          void this.#restore(hex).finally(() => this.#leaving.delete(hex));
        },
      });
    }
    // A joiner learns where every session lives (not the sessions: they stay on two nodes).
    // A member that does not answer (its manager not started yet) is waited for a bounded time.
    for (const member of channel.getMembers()) {
      const learned = new Promise<boolean>((resolve) => this.#placesDone = () => resolve(true));
      try {
        await this.#send([member], { cbm: 1, ctx: this.name, t: "places?" });
      } catch {
        continue;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const answered = await Promise.race([
        learned,
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), PLACES_WAIT_MS)),
      ]);
      clearTimeout(timer);
      if (answered) return;
    }
  }

  #placesDone: (() => void) | undefined;
  #listening = false;
  #stopExpiry: Cancel | undefined;

  /** Hands every copy this node holds to another member (see `#handOver`), then stops. */
  async stop(): Promise<void> {
    if (this.#started) {
      await this.#handOver().catch((err) =>
        this.#options.logger.warn({ err }, "Copies not all handed over before leaving")
      );
    }
    this.#started = false;
    this.#stopExpiry?.();
    this.#stopExpiry = undefined;
  }

  /**
   * Before this node leaves, every session it holds a copy of keeps one elsewhere: a session
   * without a live backup gets one first, then "leaving" (acknowledged once done) has each
   * backup of this node's sessions take over as primary and each primary whose backup this node
   * is pick another, as when a member dies, but while this node still answers fetches.
   */
  async #handOver(): Promise<void> {
    const { channel, nodeId } = this.#options;
    const members = channel.getMembers();
    if (members.length === 0) return;
    const live = new Set(members.map((m) => m.id.hex));
    const pending: Promise<void>[] = [];
    let held = 0;
    for (const [base, place] of this.#where) {
      const session = this.store.get(base);
      if (!session || (place.primary !== nodeId && place.backup !== nodeId)) continue;
      held++;
      if (place.primary === nodeId && (!place.backup || !live.has(place.backup))) {
        session.unsent = true;
        pending.push(this.requestCompleted(session.id));
      }
    }
    await Promise.all(pending);
    await this.#send(members, { cbm: 1, ctx: this.name, t: "leaving" });
    this.counters.handedOver += held;
    this.#options.logger.info({ sessions: held }, "Session copies handed over before leaving");
  }

  /**
   * Ends the idle sessions this node is the primary of, on every node: one node decides for each
   * session, as DeltaManager does (a backup copy takes over, and so decides, when its primary dies).
   */
  async expire(): Promise<void> {
    const now = this.now();
    this.store.pruneTombstones(now);
    for (const session of [...this.store.sessions()]) {
      if (!isExpired(session, now)) continue;
      if (this.#where.get(session.base)?.primary !== this.#options.nodeId) continue;
      await this.invalidate(session.id).catch(() => {});
    }
  }

  createSession(id?: string): StoredSession {
    const { clock, jvmRoute, maxInactiveInterval } = this.#options;
    checkSessionLimit(this.name, this.sessionCount, this.maxActiveSessions);
    const session = new StoredSession(
      newIdOr(id, jvmRoute, (base) => this.#where.has(base) || this.store.isTombstoned(base)),
      clock.now(),
      maxInactiveInterval,
    );
    session.unsent = true;
    this.store.add(session);
    this.#where.set(session.base, { primary: this.#options.nodeId, backup: undefined });
    return session;
  }

  /**
   * The live session if this node is its primary. A backup copy is not served as it is: the
   * primary may hold newer writes (`fetchSession` asks it first).
   */
  findSession(id: string): StoredSession | undefined {
    const session = this.store.get(id);
    if (!session || isExpired(session, this.now())) return undefined;
    return this.#where.get(session.base)?.primary === this.#options.nodeId ? session : undefined;
  }

  /** The live sessions this node is the primary of. */
  *sessions(): IterableIterator<StoredSession> {
    const now = this.now();
    for (const session of this.store.sessions()) {
      if (isExpired(session, now)) continue;
      if (this.#where.get(session.base)?.primary === this.#options.nodeId) yield session;
    }
  }

  access(record: SessionRecord): void {
    this.store.access(record.id, this.now());
  }

  rebind(record: SessionRecord, jvmRoute: string): string {
    return this.store.rebind(record.id, jvmRoute);
  }

  /**
   * The session wherever it lives, after which this node is its primary: the primary's copy
   * first (it holds every acknowledged write), then the backup's, then a copy held here when
   * neither answers (both gone: this node's copy is the newest left).
   */
  async fetchSession(id: string): Promise<StoredSession | undefined> {
    const mine = this.findSession(id);
    if (mine) return mine;
    const base = parseSessionId(id)?.base;
    const place = base ? this.#where.get(base) : undefined;
    if (!base || !place) return undefined;
    const { nodeId } = this.#options;
    const members = this.#options.channel.getMembers();
    for (const owner of [place.primary, place.backup]) {
      const member = owner === nodeId ? undefined : members.find((m) => m.id.hex === owner);
      if (!member) continue;
      const delta = await this.#ask(member, id);
      if (!delta) continue;
      const session = this.store.apply(delta) ?? this.store.get(id);
      if (!session) continue;
      this.counters.fetches++;
      await this.#takeOver(session);
      return isExpired(session, this.now()) ? undefined : session;
    }
    const held = this.store.get(id);
    if (!held || isExpired(held, this.now())) return undefined;
    await this.#takeOver(held);
    return held;
  }

  /** Sends the request's changes to the backup (everything, when the backup is new). */
  async requestCompleted(id: string, options?: { touch?: boolean }): Promise<void> {
    const session = this.store.get(id);
    if (!session) return;
    if (options?.touch) session.metaDirty = true;
    const place = this.#where.get(session.base);
    const created = session.unsent;
    const delta = this.store.takeDelta(session);
    if (!place || place.primary !== this.#options.nodeId) return;
    const backup = this.#chooseBackup(session.base);
    const moved = backup?.id.hex !== place.backup;
    place.backup = backup?.id.hex;
    if (backup && (delta || moved)) {
      const payload = moved ? this.store.full(session) : delta;
      if (payload) {
        // The place as of now; a big session travels in several copies within maxFrameSize.
        const bundle = this.#bundleFor(backup);
        await Promise.all(
          splitDelta(payload).map((piece) =>
            bundle.add([piece, { ...place }], estimateSize(piece.attrs, BUNDLE_MAX_BYTES))
          ),
        );
      }
    }
    if (created || moved) await this.#announce(session.id, place);
  }

  async invalidate(id: string): Promise<void> {
    const session = this.store.invalidate(id, this.#tombstoneUntil());
    const base = parseSessionId(id)?.base;
    if (base) this.#where.delete(base);
    if (!session) return;
    const members = this.#options.channel.getMembers();
    if (members.length > 0) await this.#send(members, { cbm: 1, ctx: this.name, t: "gone", id });
  }

  changeId(record: SessionRecord): StoredSession {
    const session = this.store.get(record.id);
    if (!session) {
      throw new ConclaveError("SESSION_ERR_ID", `No session ${record.id} to give a new id`);
    }
    const moved = this.createSession();
    for (const [name, value] of session.attributes) moved.attributes.set(name, value);
    for (const name of session.local) moved.local.add(name);
    void this.invalidate(session.id);
    return moved;
  }

  /** The backup for a session: the members running this app, hashed by the session's id. */
  #chooseBackup(base: string): Member | undefined {
    const others = this.#options.channel.getMembers().filter((m) => !this.#leaving.has(m.id.hex))
      .sort((
        a,
        b,
      ) => (a.id.hex < b.id.hex ? -1 : 1));
    return others.length === 0 ? undefined : others[hash(base) % others.length];
  }

  async #takeOver(session: StoredSession): Promise<void> {
    const place: Place = { primary: this.#options.nodeId, backup: undefined };
    this.#where.set(session.base, place);
    session.unsent = true; // the next replication sends it whole to the new backup
    await this.requestCompleted(session.id);
  }

  /**
   * After `gone` left (or said it is leaving): restore a second copy of every session it held
   * with this node, all in one turn so the copies travel bundled.
   */
  async #restore(gone: string): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const [base, place] of this.#where) {
      const session = this.store.get(base);
      if (place.primary === gone && place.backup === this.#options.nodeId && session) {
        this.counters.restored++;
        pending.push(this.#takeOver(session).catch(() => {}));
      } else if (place.primary === this.#options.nodeId && place.backup === gone && session) {
        this.counters.restored++;
        place.backup = undefined;
        session.unsent = true;
        pending.push(this.requestCompleted(session.id).catch(() => {}));
      }
    }
    await Promise.all(pending);
  }

  #announce(id: string, place: Place): Promise<void> {
    return this.#wheres.add([id, { ...place }], id.length + 80); // the place as of now
  }

  /** The copies of the requests that end in this turn go to a backup as one message. */
  #bundleFor(backup: Member): TurnBundler<[SessionDelta, Place]> {
    let bundle = this.#bundles.get(backup.id.hex);
    if (!bundle) {
      bundle = new TurnBundler((c) =>
        this.#send(
          [backup],
          c.length === 1
            ? { cbm: 1, ctx: this.name, t: "copy", d: c[0][0], p: c[0][1] }
            : { cbm: 1, ctx: this.name, t: "copies", c },
        ).then(() => {})
      );
      this.#bundles.set(backup.id.hex, bundle);
    }
    return bundle;
  }

  async #send(to: readonly Member[], message: Wire): Promise<unknown> {
    if (message.t === "copy") this.counters.copiesSent++;
    if (message.t === "copies") this.counters.copiesSent += message.c.length;
    const sync = message.t === "fetch?" || message.t === "fetched" || message.t === "places?" ||
      message.t === "places" || message.t === "leaving";
    return await this.#options.channel.send(to, message, sync ? SYNC : this.#options.sendOptions);
  }

  #ask(member: Member, id: string): Promise<SessionDelta | undefined> {
    return new Promise((resolve) => {
      const key = `${member.id.hex} ${parseSessionId(id)?.base}`;
      this.#fetching.set(key, resolve);
      this.#send([member], { cbm: 1, ctx: this.name, t: "fetch?", id }).catch(() => {
        this.#fetching.delete(key);
        resolve(undefined);
      });
    });
  }

  #received(message: Wire, from: Member): void | Promise<void> {
    if (!this.#started) return;
    if (message.t === "places?" || message.t === "places") {
      return this.#placesMessage(message, from);
    }
    if (message.t === "claims") {
      checkClaims(message);
      return this.#claimed(message, from);
    }
    if (message.t === "yield") {
      checkDelta(message.d);
      return this.#yielded(message.d);
    }
    if (message.t === "copies") {
      if (!Array.isArray(message.c)) throw refused("copies is not a list");
      for (const copy of message.c) { // all or none: a bad one refuses the bundle
        if (!Array.isArray(copy) || copy.length !== 2) {
          throw refused("a copy is not [delta, place]");
        }
        checkDelta(copy[0]);
        checkPlace(copy[1]);
      }
      for (const [d, p] of message.c) this.#copied(d, p);
      return;
    }
    if (message.t === "wheres") {
      if (!Array.isArray(message.w)) throw refused("wheres is not a list");
      const bases = message.w.map((entry) => { // all or none
        if (!Array.isArray(entry) || entry.length !== 2) {
          throw refused("a where is not [id, place]");
        }
        checkPlace(entry[1]);
        return baseOf(entry[0]);
      });
      message.w.forEach(([id, p], i) => this.#placed(id, bases[i], p));
      return;
    }
    if (message.t === "leaving") {
      // Acknowledged once done: the leaver waits for its copies to be re-homed.
      this.#leaving.add(from.id.hex);
      return this.#restore(from.id.hex);
    }
    if (message.t === "copy") {
      checkDelta(message.d);
      checkPlace(message.p);
      this.#copied(message.d, message.p);
      return;
    }
    const base = baseOf(message.id);
    switch (message.t) {
      case "fetched": {
        if (message.d !== null) checkDelta(message.d);
        const key = `${from.id.hex} ${base}`;
        const waiting = this.#fetching.get(key);
        this.#fetching.delete(key);
        waiting?.(message.d ?? undefined);
        return;
      }
      case "where":
        checkPlace(message.p);
        this.#placed(message.id, base, message.p);
        return;
      case "gone":
        this.#where.delete(base);
        this.store.invalidate(message.id, this.#tombstoneUntil());
        return;
      case "fetch?": {
        const session = this.store.get(message.id);
        const reply: Wire = {
          cbm: 1,
          ctx: this.name,
          t: "fetched",
          id: message.id,
          d: session ? this.store.full(session) : null,
        };
        // Answer after this message's ack: the asker's receive queue must not wait on us.
        queueMicrotask(() => void this.#send([from], reply).catch(() => {}));
        return;
      }
    }
  }

  #tombstoneUntil(): number {
    // As long as a partition may last, so that a heal never brings a session back.
    return this.#options.clock.now() + (this.#options.maxPartitionTime ?? 3600) * 1000;
  }

  /** Tells `member` the sessions this node is primary of and the tombstones it holds. */
  async #claim(member: Member): Promise<void> {
    const me = this.#options.nodeId;
    const primaries: [string, string | undefined][] = [];
    for (const [base, place] of this.#where) {
      if (place.primary === me && this.store.get(base)) primaries.push([base, place.backup]);
    }
    for (const claims of claimMessages(primaries, this.store.tombstones())) {
      await this.#send([member], { cbm: 1, ctx: this.name, ...claims });
    }
  }

  /** A met member's claims: its tombstones end sessions here; of two primaries one yields. */
  #claimed(claims: Claims, from: Member): void {
    const now = this.now();
    const me = this.#options.nodeId;
    const longest = now + (this.#options.maxPartitionTime ?? 3600) * 1000;
    for (const [base, until] of claims.g) {
      if (until <= now || this.store.isTombstoned(base)) continue;
      this.store.invalidate(base, Math.min(until, longest));
      this.#where.delete(base);
    }
    const yields: SessionDelta[] = [];
    for (const [base, backup] of claims.c) {
      if (this.store.isTombstoned(base)) continue; // the sender learns of it from this node's claims
      const session = this.store.get(base);
      if (this.#where.get(base)?.primary === me && session) {
        if (keeper(me, from.id.hex) === me) continue; // the other yields to this node
        yields.push(...splitDelta(this.store.full(session)));
        this.#where.set(base, { primary: from.id.hex, backup: undefined });
      } else this.#placed(base, base, { primary: from.id.hex, backup: backup ?? undefined });
    }
    // Not awaited: the sender's answers to these must not wait on this message's processing.
    queueMicrotask(async () => {
      for (const d of yields) {
        await this.#send([from], { cbm: 1, ctx: this.name, t: "yield", d }).catch(() => {});
      }
    });
  }

  /** A copy yielded by the other primary: merged, and this node places one backup. */
  #yielded(delta: SessionDelta): void {
    const session = this.store.apply(delta, true);
    // Not awaited, for the same reason: the copy to the new backup may go to the yielder.
    if (session) queueMicrotask(() => void this.#takeOver(session).catch(() => {}));
  }

  /** Where a session lives now; a copy this node no longer needs (neither holder) is dropped. */
  #placed(id: string, base: string, p: Place): void {
    this.#where.set(base, { primary: p.primary, backup: p.backup ?? undefined });
    if (p.primary !== this.#options.nodeId && p.backup !== this.#options.nodeId) {
      this.store.forget(id);
    }
  }

  /** A copy from a session's primary: this node is (or stays) its backup. */
  #copied(delta: SessionDelta, place: Place): void {
    const session = this.store.apply(delta);
    if (session) {
      this.#where.set(session.base, { primary: place.primary, backup: place.backup ?? undefined });
    }
  }

  #placesMessage(
    message: Extract<Wire, { t: "places?" | "places" }>,
    from: Member,
  ): void {
    switch (message.t) {
      case "places?": {
        const list: [string, string, string | null][] = [...this.#where].map((
          [id, p],
        ) => [id, p.primary, p.backup ?? null]);
        queueMicrotask(() =>
          void this.#send([from], { cbm: 1, ctx: this.name, t: "places", list }).catch(() => {})
        );
        return;
      }
      case "places": {
        const ok = Array.isArray(message.list) &&
          message.list.every((e) =>
            Array.isArray(e) && e.length === 3 && typeof e[0] === "string" &&
            /^[0-9a-f]{32}$/.test(e[0]) && isNodeId(e[1]) && (e[2] === null || isNodeId(e[2]))
          );
        if (!ok) throw refused("places is not a list of [session, primary, backup]");
        for (const [id, primary, backup] of message.list) {
          if (!this.#where.has(id)) this.#where.set(id, { primary, backup: backup ?? undefined });
        }
        this.#placesDone?.();
        this.#placesDone = undefined;
        return;
      }
    }
  }
}
