/**
 * BackupManager after a partition heals: members that meet again tell each other which sessions
 * they are the primary of (with their backup) and which sessions they ended (tombstones). A session
 * both sides served while apart has two primaries: the one with the smaller member id keeps it,
 * the other yields its copy (versions merge the attributes) and the keeper places one backup and
 * tells every member, so each ends with one primary, one backup and the same location map.
 *
 * @module
 */
import { ConclaveError } from "../../../src/errors.ts";

/** Most entries of one `claims` message. */
export const MAX_CLAIMS = 4096;

/** `c`: `[session base, backup member id or null]` of sessions the sender is primary of. */
export interface Claims {
  t: "claims";
  c: [string, string | null][];
  /** Tombstones: `[session base, time (ms) it may be forgotten]`. */
  g: [string, number][];
}

const BASE = /^[0-9a-f]{32}$/;

function refused(what: string): ConclaveError {
  return new ConclaveError("SESSION_ERR_REPLICATION", `Refused a BackupManager message: ${what}`);
}

/** Throws SESSION_ERR_REPLICATION unless `m` is a bounded, well-formed `claims` (all or none). */
export function checkClaims(m: Claims): void {
  if (
    !Array.isArray(m.c) || m.c.length > MAX_CLAIMS || !Array.isArray(m.g) || m.g.length > MAX_CLAIMS
  ) {
    throw refused("claims are not bounded lists");
  }
  for (const e of m.c) {
    if (
      !Array.isArray(e) || e.length !== 2 || !BASE.test(String(e[0])) ||
      !(e[1] === null || (typeof e[1] === "string" && e[1].length <= 64))
    ) throw refused("a claim is not [session, backup]");
  }
  for (const e of m.g) {
    if (!Array.isArray(e) || e.length !== 2 || !BASE.test(String(e[0])) || !Number.isFinite(e[1])) {
      throw refused("a tombstone is not [session, until]");
    }
  }
}

/** The claims of a node, cut into messages of at most MAX_CLAIMS entries of each kind. */
export function claimMessages(
  primaries: Iterable<[string, string | undefined]>,
  tombstones: Iterable<[string, number]>,
): Claims[] {
  const c = [...primaries].map(([base, backup]): [string, string | null] => [base, backup ?? null]);
  const g = [...tombstones];
  const out: Claims[] = [];
  for (let i = 0; i === 0 || i < Math.max(c.length, g.length); i += MAX_CLAIMS) {
    out.push({ t: "claims", c: c.slice(i, i + MAX_CLAIMS), g: g.slice(i, i + MAX_CLAIMS) });
  }
  return out;
}

/** Of two primaries of one session, the one that keeps it: the smaller member id. */
export function keeper(a: string, b: string): string {
  return a < b ? a : b;
}
