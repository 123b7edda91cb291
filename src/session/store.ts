/**
 * The replicated session store: sessions whose attributes carry versions, so that replicas
 * converge whatever order updates arrive in, and tombstones, so that a late update never brings
 * an invalidated session back.
 *
 * A version is `[counter, node]`: a Lamport counter, ties broken by the writing node's id. Two
 * nodes writing the same attribute at once both end with the higher version's value (last writer
 * wins, deterministically) instead of each keeping its own, as Tomcat's DeltaManager would.
 *
 * @module
 */
import type { SessionRecord } from "../interfaces/manager.ts";
import { parseSessionId } from "./ids.ts";

/** `[lamport counter, node id hex]`. */
export type Version = readonly [number, string];

export function compareVersions(a: Version, b: Version): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** An attribute map that remembers which names a request changed. */
export class TrackedAttributes extends Map<string, unknown> {
  dirty: Set<string> | undefined;
  override set(name: string, value: unknown): this {
    super.set(name, value);
    (this.dirty ??= new Set()).add(name);
    return this;
  }
  override delete(name: string): boolean {
    (this.dirty ??= new Set()).add(name);
    return super.delete(name);
  }
  override clear(): void {
    for (const name of this.keys()) (this.dirty ??= new Set()).add(name);
    super.clear();
  }
}

/** One session as the store holds it. */
export class StoredSession implements SessionRecord {
  /** The full id, route included; changes on failover or `changeId`. */
  id: string;
  /** The 32 hex characters; the key across route changes. */
  readonly base: string;
  readonly creationTime: number;
  lastAccessedTime: number;
  maxInactiveInterval: number;
  readonly attributes = new TrackedAttributes();
  /** Version of each replicated attribute, present or removed. */
  readonly versions = new Map<string, Version>();
  /** Names kept on this node only (`{ replicate: false }`). */
  readonly local = new Set<string>();
  /** Version of id and maxInactiveInterval. */
  metaVersion: Version = [0, ""];
  /** Not yet sent to the others: the next replication carries everything. */
  unsent = false;
  /** Meta (id or interval) changed since the last replication. */
  metaDirty = false;

  constructor(id: string, creationTime: number, maxInactiveInterval: number) {
    this.id = id;
    this.base = parseSessionId(id)?.base ?? id;
    this.creationTime = creationTime;
    this.lastAccessedTime = creationTime;
    this.maxInactiveInterval = maxInactiveInterval;
  }
}

/** What travels for one session: a delta, or a whole session in state transfer. */
export interface SessionDelta {
  id: string;
  created: number;
  accessed: number;
  interval: number;
  meta: Version;
  /** `[name, value, version]` for set attributes, `[name, null, version, 1]` for removed ones. */
  attrs: [string, unknown, Version, 1?][];
}

/** Counters a manager exposes. */
export interface StoreStats {
  applied: number;
  stale: number;
  tombstoned: number;
}

export class SessionStore {
  readonly #sessions = new Map<string, StoredSession>();
  /** Invalidated sessions: base id to the time the tombstone may be forgotten. */
  readonly #tombstones = new Map<string, number>();
  readonly #node: string;
  #counter = 0;
  readonly stats: StoreStats = { applied: 0, stale: 0, tombstoned: 0 };

  /** `node`: this node's id, the tie-breaker of its versions. */
  constructor(node: string) {
    this.#node = node;
  }

  get size(): number {
    return this.#sessions.size;
  }

  sessions(): IterableIterator<StoredSession> {
    return this.#sessions.values();
  }

  /** Finds by id, whatever its route suffix. */
  get(id: string): StoredSession | undefined {
    const base = parseSessionId(id)?.base;
    return base === undefined ? undefined : this.#sessions.get(base);
  }

  add(session: StoredSession): void {
    this.#sessions.set(session.base, session);
  }

  isTombstoned(base: string): boolean {
    return this.#tombstones.has(base);
  }

  /** A version newer than any this node has seen. */
  nextVersion(): Version {
    return [++this.#counter, this.#node];
  }

  #observe(v: Version): void {
    if (v[0] > this.#counter) this.#counter = v[0];
  }

  /**
   * What a request changed, as a delta, and the session marked clean; `undefined` when nothing
   * replicable changed (a request that only read sends nothing).
   */
  takeDelta(session: StoredSession): SessionDelta | undefined {
    const dirty = session.attributes.dirty;
    session.attributes.dirty = undefined;
    const names = session.unsent
      ? [...session.attributes.keys(), ...(dirty ?? [])]
      : [...(dirty ?? [])];
    const attrs: SessionDelta["attrs"] = [];
    for (const name of new Set(names)) {
      if (session.local.has(name)) continue;
      const version = this.nextVersion();
      session.versions.set(name, version);
      if (session.attributes.has(name)) attrs.push([name, session.attributes.get(name), version]);
      else attrs.push([name, null, version, 1]);
    }
    if (attrs.length === 0 && !session.unsent && !session.metaDirty) return undefined;
    if (session.metaDirty || session.unsent) session.metaVersion = this.nextVersion();
    session.unsent = false;
    session.metaDirty = false;
    return this.snapshot(session, attrs);
  }

  /** A session's whole replicable state (state transfer). */
  full(session: StoredSession): SessionDelta {
    const attrs: SessionDelta["attrs"] = [];
    for (const [name, version] of session.versions) {
      if (session.local.has(name)) continue;
      if (session.attributes.has(name)) attrs.push([name, session.attributes.get(name), version]);
      else attrs.push([name, null, version, 1]);
    }
    return this.snapshot(session, attrs);
  }

  snapshot(session: StoredSession, attrs: SessionDelta["attrs"]): SessionDelta {
    return {
      id: session.id,
      created: session.creationTime,
      accessed: session.lastAccessedTime,
      interval: session.maxInactiveInterval,
      meta: session.metaVersion,
      attrs,
    };
  }

  /**
   * Merges a delta from another node. Per attribute the higher version wins, so deltas may arrive
   * in any order and twice; a tombstoned session is never brought back.
   */
  apply(delta: SessionDelta): StoredSession | undefined {
    const base = parseSessionId(delta.id)?.base;
    if (base === undefined) return undefined;
    if (this.#tombstones.has(base)) {
      this.stats.stale++;
      return undefined;
    }
    let session = this.#sessions.get(base);
    if (!session) {
      session = new StoredSession(delta.id, delta.created, delta.interval);
      this.#sessions.set(base, session);
    }
    this.#observe(delta.meta);
    if (compareVersions(delta.meta, session.metaVersion) > 0) {
      session.metaVersion = delta.meta;
      session.id = delta.id;
      session.maxInactiveInterval = delta.interval;
    }
    if (delta.accessed > session.lastAccessedTime) session.lastAccessedTime = delta.accessed;
    const before = session.attributes.dirty;
    for (const [name, value, version, removed] of delta.attrs) {
      this.#observe(version);
      const current = session.versions.get(name);
      if (current && compareVersions(version, current) <= 0) {
        this.stats.stale++;
        continue;
      }
      session.versions.set(name, version);
      session.local.delete(name);
      if (removed) Map.prototype.delete.call(session.attributes, name);
      else Map.prototype.set.call(session.attributes, name, value);
      this.stats.applied++;
    }
    session.attributes.dirty = before; // replicated changes are not this node's to send
    return session;
  }

  /** Removes a session and keeps a tombstone until `until` (ms) so late deltas stay dead. */
  invalidate(id: string, until: number): StoredSession | undefined {
    const base = parseSessionId(id)?.base;
    if (base === undefined) return undefined;
    const session = this.#sessions.get(base);
    this.#sessions.delete(base);
    if (!this.#tombstones.has(base)) this.stats.tombstoned++;
    this.#tombstones.set(base, until);
    return session;
  }

  /** Drops a copy this node no longer needs to hold, leaving no tombstone. */
  forget(id: string): void {
    const base = parseSessionId(id)?.base;
    if (base !== undefined) this.#sessions.delete(base);
  }

  /** Forgets tombstones older than `now`. */
  pruneTombstones(now: number): void {
    for (const [base, until] of this.#tombstones) if (until <= now) this.#tombstones.delete(base);
  }
}
