/**
 * Session ids: 32 lowercase hex characters (128 random bits), then `.` and the `jvmRoute` of the
 * node that created the session or last took it over (`9f0c...e21a.node1`).
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";

const ID = /^([0-9a-f]{32})(?:\.([A-Za-z0-9_-]{1,64}))?$/;

/** A parsed session id. */
export interface SessionId {
  /** The 32 hex characters: the session's identity across route changes. */
  readonly base: string;
  /** The route suffix, `""` when absent. */
  readonly route: string;
}

/** A new id for a session created on the node `jvmRoute`. */
export function newSessionId(jvmRoute: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return jvmRoute ? `${hex}.${jvmRoute}` : hex;
}

/**
 * Reads an id from a cookie. Anything malformed (wrong length, non-hex, a route with odd
 * characters, 10 KB of junk) is `undefined`: the request simply has no session.
 */
export function parseSessionId(text: string | undefined): SessionId | undefined {
  if (!text || text.length > 100) return undefined;
  // One request parses its id several times (cookie, valves, store, manager): the last one is kept.
  if (text === last.text) return last.id;
  const m = ID.exec(text);
  const id = m ? Object.freeze({ base: m[1], route: m[2] ?? "" }) : undefined;
  last.text = text;
  last.id = id;
  return id;
}

/** Whether `parseSessionId(text)` would parse, without allocating its answer (bulk checks). */
export function isSessionId(text: unknown): boolean {
  return typeof text === "string" && text.length <= 100 && ID.test(text);
}

const last: { text: string | undefined; id: SessionId | undefined } = {
  text: undefined,
  id: undefined,
};

/** The same session under another node's route (JvmRouteBinderValve). */
export function withRoute(id: string, jvmRoute: string): string {
  const base = id.split(".")[0];
  return jvmRoute ? `${base}.${jvmRoute}` : base;
}

/**
 * The id for a new session: a fresh one ending with `jvmRoute`, or `given` when it is a
 * well-formed id that `taken` (held or ended) does not claim.
 *
 * @throws {SESSION_ERR_ID} for a given id that is malformed or taken
 */
export function newIdOr(
  given: string | undefined,
  jvmRoute: string,
  taken: (base: string) => boolean,
): string {
  if (given === undefined) return newSessionId(jvmRoute);
  const base = parseSessionId(given)?.base;
  if (base !== undefined && !taken(base)) return given;
  throw new ConclaveError(
    "SESSION_ERR_ID",
    `Cannot create a session with id ${
      JSON.stringify(given).slice(0, 80)
    }: expected a new id of 32 hex digits and a route`,
  );
}
