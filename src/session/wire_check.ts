/**
 * Checks of session data arriving from other nodes: a malformed replication message is refused
 * with a coded error (a fail-ack to a synchronized sender), never applied half-way, never a crash.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import { parseSessionId } from "./ids.ts";
import { maxPeerCounter, type SessionDelta } from "./store.ts";
import { checkValue } from "./values.ts";

function bad(what: string): ConclaveError {
  return new ConclaveError("SESSION_ERR_REPLICATION", `Refused a replicated session: ${what}`);
}

/** A `[counter, node]` version whose counter is at most `max` (maxPeerCounter). */
function isVersion(v: unknown, max: number): boolean {
  return Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && v[0] >= 0 &&
    v[0] <= max && typeof v[1] === "string" && v[1].length <= 64;
}

function badVersion(what: string, v: unknown, max: number): ConclaveError {
  const counter = Array.isArray(v) ? String(v[0]).slice(0, 30) : "none";
  return bad(
    `${what} is not a [counter, node] version with a counter of 0 to ${max} (got ${counter})`,
  );
}

/**
 * Throws SESSION_ERR_REPLICATION unless `d` is a well-formed session delta: versions within
 * range (so that no peer can push this node's counter where its own versions would be refused)
 * and values that `Session#set` would accept, checked by the same function.
 */
export function checkDelta(d: unknown, now: number = Date.now()): asserts d is SessionDelta {
  if (typeof d !== "object" || d === null) throw bad("not an object");
  const x = d as Record<string, unknown>;
  if (typeof x.id !== "string" || !parseSessionId(x.id)) {
    throw bad(`id ${String(x.id).slice(0, 80)}`);
  }
  // Unrolled: state transfer checks 100,000s of these in a row.
  if (!Number.isFinite(x.created)) throw bad("created is not a number");
  if (!Number.isFinite(x.accessed)) throw bad("accessed is not a number");
  if (!Number.isFinite(x.interval)) throw bad("interval is not a number");
  const max = maxPeerCounter(now);
  if (!isVersion(x.meta, max)) throw badVersion("meta", x.meta, max);
  if (!Array.isArray(x.attrs)) throw bad("attrs is not a list");
  for (const a of x.attrs) {
    if (!Array.isArray(a) || a.length < 3 || a.length > 4 || typeof a[0] !== "string") {
      throw bad("an attribute is not [name, value, version, removed?]");
    }
    if (!isVersion(a[2], max)) throw badVersion(`the version of ${a[0].slice(0, 80)}`, a[2], max);
    if (!a[3]) {
      try {
        checkValue(a[0], a[1]);
      } catch (err) {
        throw bad((err as Error).message);
      }
    }
  }
}
