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
import type { SessionStore, StoredSession } from "../../../src/session/store.ts";

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

/** A session's hash; attributes are summed, so the order a node holds them in does not count. */
export function sessionHash(store: SessionStore, session: StoredSession): number {
  const full = store.full(session);
  let h = fnv(`${full.meta[0]} ${full.meta[1]}`, fnv(session.base));
  for (const [name, , [counter, node], removed] of full.attrs) {
    h = (h + fnv(`${name}\u0000${counter} ${node}${removed ? " x" : ""}`)) >>> 0;
  }
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
