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
import { parseSessionId, withRoute } from "./ids.ts";

/** `[lamport counter, node id hex]`. */
export type Version = readonly [number, string];

export function compareVersions(a: Version, b: Version): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/**
 * A version as a session holds it: `counter * NODE_SLOTS + n`, `n` the node's number in its
 * store, so one number and no tuple per attribute; the tuple itself when that cannot be (the
 * store numbered NODE_SLOTS nodes already, or the counter is too large). `0` is `[0, ""]`.
 */
export type StoredVersion = number | Version;

/**
 * How far counters from peers may reach: COUNTER_RATE per ms of wall time since COUNTER_EPOCH
 * (never less than COUNTER_FLOOR). Honest counters, which count writes since the cluster
 * started, stay far below; a peer that sends the largest accepted counter cannot move this
 * node's counter beyond what every other node accepts, since the bound grows faster than any
 * cluster writes, and it stays below 2^53 for centuries: no message can make the counter unsafe
 * and every later version refused.
 */
const COUNTER_RATE = 1000;
const COUNTER_EPOCH = Date.UTC(2026, 0, 1);
const COUNTER_FLOOR = 2 ** 40;
/** Whatever a clock says: 2^53 leaves room for 2^52 writes beyond it. */
const COUNTER_CAP = 2 ** 52;
/** Clock difference between nodes tolerated when checking a peer's counter: a minute. */
const COUNTER_SLACK = 60_000 * COUNTER_RATE;

/** The highest counter this node adopts from a peer at wall time `now` (ms). */
export function counterCeiling(now: number): number {
  const grown = Math.floor((now - COUNTER_EPOCH) * COUNTER_RATE);
  return Math.min(COUNTER_CAP, Math.max(COUNTER_FLOOR, grown));
}

/** The highest counter this node accepts from a peer: its ceiling plus the clocks' slack. */
export function maxPeerCounter(now: number): number {
  return counterCeiling(now) + COUNTER_SLACK;
}

/** The characters of a session id's base (`parseSessionId(id).base`), which start the id. */
export const BASE_LENGTH = 32;

/** Node ids one store numbers (`""` and itself included); versions of any more stay tuples. */
const NODE_SLOTS = 1024;
/** Attribute names one store keeps one copy of, and the longest it keeps. */
const MAX_NAMES = 4096;
const MAX_NAME_LENGTH = 128;

/**
 * A copy of `text` that owns its characters. A decoded string is often a slice of the decoder's
 * whole source string, which a stored slice would keep alive, one source per session.
 */
function own(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * The versions of one session's attributes: `[name, version, name, version, ...]` while there are
 * few (half the memory of a Map), a Map beyond (no quadratic merge of a huge delta).
 */
export type VersionTable = readonly (string | StoredVersion)[] | Map<string, StoredVersion>;

const FLAT_VERSIONS = 16;
const NO_VERSIONS: VersionTable = Object.freeze([]);
/** The table `apply` builds for a session without versions, copied once it is complete. */
const BUILDING: (string | StoredVersion)[] = [];

function versionOf(table: VersionTable, name: string): StoredVersion | undefined {
  if (table instanceof Map) return table.get(name);
  for (let i = 0; i < table.length; i += 2) {
    if (table[i] === name) return table[i + 1] as StoredVersion;
  }
  return undefined;
}

/** `table` with `name` at `v`: the same table changed, or a bigger one. */
function withVersion(table: VersionTable, name: string, v: StoredVersion): VersionTable {
  if (table instanceof Map) return table.set(name, v);
  for (let i = 0; i < table.length; i += 2) {
    if (table[i] === name) {
      (table as (string | StoredVersion)[])[i + 1] = v;
      return table;
    }
  }
  if (table.length < 2 * FLAT_VERSIONS) return table.concat([name, v]); // sized exactly
  const map = new Map<string, StoredVersion>();
  for (let i = 0; i < table.length; i += 2) {
    map.set(table[i] as string, table[i + 1] as StoredVersion);
  }
  return map.set(name, v);
}

/** Calls `f` with each name and stored version of `table`. */
export function forEachVersion(
  table: VersionTable,
  f: (name: string, v: StoredVersion) => void,
): void {
  if (table instanceof Map) table.forEach((v, name) => f(name, v));
  else {for (let i = 0; i < table.length; i += 2) {
      f(table[i] as string, table[i + 1] as StoredVersion);
    }}
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
  #id: string;
  /** The 32 hex characters; the key across route changes. */
  readonly base: string;
  readonly creationTime: number;
  lastAccessedTime: number;
  maxInactiveInterval: number;
  readonly attributes = new TrackedAttributes();
  /** Version of each replicated attribute, present or removed; the store's to read and write. */
  versions: VersionTable = NO_VERSIONS;
  #local: Set<string> | undefined = undefined;
  /** Version of id and maxInactiveInterval. */
  metaVersion: StoredVersion = 0;
  /** Not yet sent to the others: the next replication carries everything. */
  unsent = false;
  /** Meta (id or interval) changed since the last replication. */
  metaDirty = false;

  /** `parsed`: the caller checked already that `id` parses (`parseSessionId`). */
  constructor(id: string, creationTime: number, maxInactiveInterval: number, parsed = false) {
    this.#id = own(id);
    // A slice of the copy, never of `id` (which may slice a decoded message).
    this.base = parsed || parseSessionId(this.#id) ? this.#id.slice(0, BASE_LENGTH) : this.#id;
    this.creationTime = creationTime;
    this.lastAccessedTime = creationTime;
    this.maxInactiveInterval = maxInactiveInterval;
  }

  /** The full id, route included; changes on failover or `changeId`. */
  get id(): string {
    return this.#id;
  }
  set id(id: string) {
    this.#id = own(id); // not a concatenation still holding the old id
  }

  /** Names kept on this node only (`{ replicate: false }`); most sessions have none. */
  get local(): Set<string> {
    return this.#local ??= new Set();
  }

  /** Whether `name` is kept on this node only. */
  isLocal(name: string): boolean {
    return this.#local !== undefined && this.#local.has(name);
  }

  /** Changes the timeout; it travels with the session's next changes. */
  setMaxInactiveInterval(seconds: number): void {
    this.maxInactiveInterval = seconds;
    this.metaDirty = true;
  }

  /** Keeps `name` on this node only, or replicates it again. */
  setLocal(name: string, local: boolean): void {
    if (local) this.local.add(name);
    else this.#local?.delete(name);
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
  /** Received versions that met a different one from another writer (see `apply`). */
  conflicts: number;
}

export class SessionStore {
  readonly #sessions = new Map<string, StoredSession>();
  /** Invalidated sessions: base id to the time the tombstone may be forgotten. */
  readonly #tombstones = new Map<string, number>();
  readonly #node: string;
  #counter = 0;
  /** Node ids by number, for stored versions: `""` is 0, this node 1. */
  readonly #nodes: string[];
  readonly #nodeNumbers = new Map<string, number>();
  /** One copy of each attribute name, not one per delta; bounded against a hostile peer. */
  readonly #names = new Map<string, string>();
  readonly stats: StoreStats = { applied: 0, stale: 0, tombstoned: 0, conflicts: 0 };

  /** `node`: this node's id, the tie-breaker of its versions. */
  constructor(node: string) {
    this.#node = node;
    this.#nodes = ["", node];
    this.#nodeNumbers.set("", 0).set(node, 1);
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

  /** Marks the session `id` used at `now`. */
  access(id: string, now: number): void {
    const session = this.get(id);
    if (session) session.lastAccessedTime = now;
  }

  /** Moves the session `id` to `jvmRoute`'s suffix; the new id travels with its next changes. */
  rebind(id: string, jvmRoute: string): string {
    const session = this.get(id);
    if (!session) return id;
    session.id = withRoute(session.id, jvmRoute);
    session.metaDirty = true;
    return session.id;
  }

  add(session: StoredSession): void {
    this.#sessions.set(session.base, session);
  }

  isTombstoned(base: string): boolean {
    return this.#tombstones.has(base);
  }

  /** Invalidated sessions: base id and the time (ms) its tombstone may be forgotten. */
  tombstones(): IterableIterator<[string, number]> {
    return this.#tombstones.entries();
  }

  /** A version newer than any this node has seen. */
  nextVersion(): Version {
    return [++this.#counter, this.#node];
  }

  /**
   * Lamport's rule, within bounds: a peer's counter above this node's own ceiling (its clock
   * behind the peer's) is stored as sent but not adopted beyond the ceiling.
   */
  #observe(v: Version): void {
    if (v[0] > this.#counter) {
      this.#counter = Math.max(this.#counter, Math.min(v[0], counterCeiling(Date.now())));
    }
  }

  /** The stored form of `v`: one number when its node has (or gets) a number here. */
  #pack(v: Version): StoredVersion {
    const [counter, node] = v;
    let n = this.#nodeNumbers.get(node);
    if (n === undefined && this.#nodes.length < NODE_SLOTS) {
      n = this.#nodes.push(own(node)) - 1;
      this.#nodeNumbers.set(this.#nodes[n], n);
    }
    const packed = counter * NODE_SLOTS + (n ?? 0);
    return n !== undefined && Number.isSafeInteger(counter) && counter >= 0 &&
        packed <= Number.MAX_SAFE_INTEGER
      ? packed
      : [counter, own(node)];
  }

  /** A stored version as `[counter, node]` (for digests). */
  unpack(v: StoredVersion): Version {
    return this.#unpack(v);
  }

  #unpack(v: StoredVersion): Version {
    return typeof v === "number" ? [Math.floor(v / NODE_SLOTS), this.#nodes[v % NODE_SLOTS]] : v;
  }

  /** The counter of a stored version (`unpack(v)[0]` without the tuple). */
  counterOf(v: StoredVersion): number {
    return typeof v === "number" ? Math.floor(v / NODE_SLOTS) : v[0];
  }

  /** The node id of a stored version (`unpack(v)[1]` without the tuple). */
  nodeOf(v: StoredVersion): string {
    return typeof v === "number" ? this.#nodes[v % NODE_SLOTS] : v[1];
  }

  /** `compareVersions(a, b)` without unpacking `b`. */
  #compare(a: Version, b: StoredVersion): number {
    const counter = this.counterOf(b);
    const node = this.nodeOf(b);
    return a[0] !== counter ? a[0] - counter : a[1] < node ? -1 : a[1] > node ? 1 : 0;
  }

  #name(name: string): string {
    let kept = this.#names.get(name);
    if (kept === undefined) {
      kept = own(name);
      if (this.#names.size < MAX_NAMES && name.length <= MAX_NAME_LENGTH) {
        this.#names.set(kept, kept);
      }
    }
    return kept;
  }

  /**
   * What a request changed, as a delta, and the session marked clean; `undefined` when nothing
   * replicable changed (a request that only read sends nothing).
   */
  takeDelta(session: StoredSession): SessionDelta | undefined {
    const dirty = session.attributes.dirty;
    if (!dirty && !session.unsent && !session.metaDirty) return undefined; // a read
    session.attributes.dirty = undefined;
    const names = session.unsent
      ? [...session.attributes.keys(), ...(dirty ?? [])]
      : [...(dirty ?? [])];
    const attrs: SessionDelta["attrs"] = [];
    for (const name of new Set(names)) {
      if (session.isLocal(name)) continue;
      const version = this.nextVersion();
      session.versions = withVersion(session.versions, name, this.#pack(version));
      if (session.attributes.has(name)) attrs.push([name, session.attributes.get(name), version]);
      else attrs.push([name, null, version, 1]);
    }
    if (attrs.length === 0 && !session.unsent && !session.metaDirty) return undefined;
    if (session.metaDirty || session.unsent) session.metaVersion = this.#pack(this.nextVersion());
    session.unsent = false;
    session.metaDirty = false;
    return this.snapshot(session, attrs);
  }

  /** A session's whole replicable state (state transfer). */
  full(session: StoredSession): SessionDelta {
    const attrs: SessionDelta["attrs"] = [];
    forEachVersion(session.versions, (name, stored) => {
      if (session.isLocal(name)) return;
      const version = this.#unpack(stored);
      if (session.attributes.has(name)) attrs.push([name, session.attributes.get(name), version]);
      else attrs.push([name, null, version, 1]);
    });
    return this.snapshot(session, attrs);
  }

  snapshot(session: StoredSession, attrs: SessionDelta["attrs"]): SessionDelta {
    return {
      id: session.id,
      created: session.creationTime,
      accessed: session.lastAccessedTime,
      interval: session.maxInactiveInterval,
      meta: this.#unpack(session.metaVersion),
      attrs,
    };
  }

  /**
   * Merges a delta from another node. Per attribute the higher version wins, so deltas may arrive
   * in any order and twice; a tombstoned session is never brought back.
   *
   * A conflict is counted when a received version beats a stored one from another writer that
   * is provably concurrent (the same counter), or, in an anti-entropy `repair`, one this node
   * wrote itself (its write lost to one made while apart).
   *
   * Nothing of `delta` is kept but its attribute values: state transfer passes one delta, its
   * tuples and arrays refilled for each session.
   */
  apply(delta: SessionDelta, repair = false): StoredSession | undefined {
    const base = parseSessionId(delta.id)?.base;
    return base === undefined ? undefined : this.applyParsed(delta, base, repair);
  }

  /**
   * `apply` of a delta whose id a caller parsed already (state transfer checks every id of a
   * chunk before applying any): `base` must be `parseSessionId(delta.id).base`.
   */
  applyParsed(delta: SessionDelta, base: string, repair = false): StoredSession | undefined {
    if (this.#tombstones.has(base)) {
      this.stats.stale++;
      return undefined;
    }
    let session = this.#sessions.get(base);
    if (!session) {
      session = new StoredSession(delta.id, delta.created, delta.interval, true);
      this.#sessions.set(session.base, session); // its own copy: `base` slices the decoded message
    }
    this.#observe(delta.meta);
    if (this.#compare(delta.meta, session.metaVersion) > 0) {
      session.metaVersion = this.#pack(delta.meta);
      if (session.id !== delta.id) session.id = delta.id;
      session.maxInactiveInterval = delta.interval;
    }
    if (delta.accessed > session.lastAccessedTime) session.lastAccessedTime = delta.accessed;
    const before = session.attributes.dirty;
    // A session without versions (new: all of state transfer) gets its table in one allocation.
    let table = session.versions === NO_VERSIONS && delta.attrs.length <= FLAT_VERSIONS
      ? BUILDING
      : session.versions;
    BUILDING.length = 0;
    for (const [name, value, version, removed] of delta.attrs) {
      this.#observe(version);
      const current = versionOf(table, name);
      const order = current === undefined ? 1 : this.#compare(version, current);
      if (current !== undefined && order !== 0) this.#conflict(version, current, order, repair);
      if (order <= 0) {
        this.stats.stale++;
        continue;
      }
      const kept = this.#name(name);
      if (table !== BUILDING || current !== undefined) {
        table = withVersion(table, kept, this.#pack(version));
      } else BUILDING.push(kept, this.#pack(version));
      session.setLocal(kept, false);
      if (removed) Map.prototype.delete.call(session.attributes, kept);
      else Map.prototype.set.call(session.attributes, kept, value);
      this.stats.applied++;
    }
    session.versions = table !== BUILDING ? table : table.length > 0 ? table.slice() : NO_VERSIONS;
    session.attributes.dirty = before; // replicated changes are not this node's to send
    return session;
  }

  #conflict(received: Version, stored: StoredVersion, order: number, repair: boolean): void {
    const [counter, writer] = this.#unpack(stored);
    if (writer === received[1]) return;
    // Counted where the received version wins, so once per conflict on each node it reaches.
    if (order > 0 && (counter === received[0] || (repair && writer === this.#node))) {
      this.stats.conflicts++;
    }
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
