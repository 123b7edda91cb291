/**
 * Checks of session data arriving from other nodes: a malformed replication message is refused
 * with a coded error (a fail-ack to a synchronized sender), never applied half-way, never a crash.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import { parseSessionId } from "./ids.ts";
import type { SessionDelta } from "./store.ts";

function bad(what: string): ConclaveError {
  return new ConclaveError("SESSION_ERR_REPLICATION", `Refused a replicated session: ${what}`);
}

function isVersion(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && v[0] >= 0 &&
    typeof v[1] === "string" && v[1].length <= 64;
}

/** Throws SESSION_ERR_REPLICATION unless `d` is a well-formed session delta. */
export function checkDelta(d: unknown): asserts d is SessionDelta {
  if (typeof d !== "object" || d === null) throw bad("not an object");
  const x = d as Record<string, unknown>;
  if (typeof x.id !== "string" || !parseSessionId(x.id)) {
    throw bad(`id ${String(x.id).slice(0, 80)}`);
  }
  // Unrolled: state transfer checks 100,000s of these in a row.
  if (!Number.isFinite(x.created)) throw bad("created is not a number");
  if (!Number.isFinite(x.accessed)) throw bad("accessed is not a number");
  if (!Number.isFinite(x.interval)) throw bad("interval is not a number");
  if (!isVersion(x.meta)) throw bad("meta is not a [counter, node] version");
  if (!Array.isArray(x.attrs)) throw bad("attrs is not a list");
  for (const a of x.attrs) {
    if (
      !Array.isArray(a) || a.length < 3 || a.length > 4 || typeof a[0] !== "string" ||
      !isVersion(a[2])
    ) {
      throw bad("an attribute is not [name, value, version, removed?]");
    }
  }
}
