/**
 * Compact digests of a session store for anti-entropy: one hash per session or tombstone, summed
 * into BUCKETS buckets by id. Two stores with equal digests hold the same sessions at the same
 * versions; a differing bucket is drilled into by listing its per-session hashes.
 *
 * Only what converges is hashed: the id base, the meta version and each replicated attribute's
 * name and version (a version names one write, so its value follows). Access times and sessions
 * not yet replicated are left out: they differ between replicas by design.
 *
 * @module
 */
import {
  forEachVersion,
  type SessionStore,
  type StoredSession,
} from "../../../src/session/store.ts";

/** Buckets of a digest: 256 numbers (about 2 KB) travel per round at rest. */
export const BUCKETS = 256;

/** FNV-1a over `text`, continued from `h`. */
function fnv(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The bucket of a session's 32 hex id base. */
export function bucketOf(base: string): number {
  return parseInt(base.slice(0, 4), 16) % BUCKETS;
}

/** A tombstone's hash: equal on every node that holds it, whatever its expiry time. */
export function tombstoneHash(base: string): number {
  return fnv("~", fnv(base));
}

/** Mixes a number (up to 2^53) into `h`. */
function mix(h: number, n: number): number {
  h = Math.imul(h ^ (n >>> 0), 0x01000193);
  return Math.imul(h ^ Math.floor(n / 2 ** 32), 0x01000193) >>> 0;
}

/** A session's hash; attributes are summed, so the order a node holds them in does not count. */
export function sessionHash(store: SessionStore, session: StoredSession): number {
  const [metaCounter, metaNode] = store.unpack(session.metaVersion);
  let h = fnv(metaNode, mix(fnv(session.base), metaCounter));
  forEachVersion(session.versions, (name, stored) => {
    if (session.isLocal(name)) return;
    const [counter, node] = store.unpack(stored);
    const removed = session.attributes.has(name) ? 0 : 1;
    h = (h + mix(fnv(node, fnv(name)), counter * 2 + removed)) >>> 0;
  });
  return h;
}

/** Whether a session takes part in anti-entropy: once it has been replicated at least once. */
export function replicated(session: StoredSession): boolean {
  return !session.unsent;
}

/** The store's digest: per bucket, the sum of its sessions' and tombstones' hashes. */
export function digest(store: SessionStore): number[] {
  const sums = new Array<number>(BUCKETS).fill(0);
  for (const session of store.sessions()) {
    if (!replicated(session)) continue;
    const b = bucketOf(session.base);
    sums[b] = (sums[b] + sessionHash(store, session)) >>> 0;
  }
  for (const [base] of store.tombstones()) {
    const b = bucketOf(base);
    sums[b] = (sums[b] + tombstoneHash(base)) >>> 0;
  }
  return sums;
}

/** Per-session hashes of the sessions and tombstones in `buckets`: base to hash. */
export function entries(store: SessionStore, buckets: ReadonlySet<number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const session of store.sessions()) {
    if (replicated(session) && buckets.has(bucketOf(session.base))) {
      out.set(session.base, sessionHash(store, session));
    }
  }
  for (const [base] of store.tombstones()) {
    if (buckets.has(bucketOf(base))) out.set(base, tombstoneHash(base));
  }
  return out;
}
