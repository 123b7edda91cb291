/**
 * The session limit (`maxActiveSessions`), shared by the managers and the request path.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "../wire/frame.ts";
import { estimateSize } from "./bundle.ts";

/**
 * The largest attribute `set` accepts, estimated bytes: one attribute travels in one frame, so
 * it must fit `maxFrameSize` (default 32 MiB) with room for the envelope. Bigger sessions are
 * fine: their attributes travel in several messages.
 */
export const MAX_ATTRIBUTE_BYTES = DEFAULT_MAX_FRAME_SIZE - 64 * 1024;

/** Throws `SESSION_ERR_TOO_LARGE` for an attribute that could never travel to another node. */
export function checkAttributeSize(name: string, value: unknown): void {
  const size = estimateSize(value, MAX_ATTRIBUTE_BYTES + 1);
  if (size <= MAX_ATTRIBUTE_BYTES) return;
  throw new ConclaveError(
    "SESSION_ERR_TOO_LARGE",
    `Session attribute ${
      JSON.stringify(name)
    } is over ${MAX_ATTRIBUTE_BYTES} bytes: no message could carry it to another node; store a reference to the data instead`,
  );
}

/** Seconds a client is told to wait when the session limit is reached. */
export const TOO_MANY_RETRY_AFTER = 60;

/** `SESSION_ERR_TOO_MANY` with the HTTP answer frameworks read from errors (Express, Fastify). */
export type TooManySessions = ConclaveError & {
  status: 503;
  statusCode: 503;
  headers: Record<string, string>;
};

/**
 * Throws `SESSION_ERR_TOO_MANY` when `held` sessions reach `max` (-1: no limit): a manager calls
 * it before it creates a session.
 */
export function checkSessionLimit(name: string, held: number, max: number): void {
  if (max < 0 || held < max) return;
  const error = new ConclaveError(
    "SESSION_ERR_TOO_MANY",
    `The app ${name} holds ${held} sessions, its maxActiveSessions: no new session now`,
  );
  throw Object.assign(error, {
    status: 503,
    statusCode: 503,
    headers: { "retry-after": String(TOO_MANY_RETRY_AFTER) },
  }) as TooManySessions;
}

/** The HTTP answer to an error of the request path, or undefined when it is the app's own. */
export function errorResponse(err: unknown): Response | undefined {
  if (!(err instanceof ConclaveError) || err.code !== "SESSION_ERR_TOO_MANY") return undefined;
  return new Response("Service Unavailable: too many sessions\n", {
    status: 503,
    headers: { "retry-after": String(TOO_MANY_RETRY_AFTER), "content-type": "text/plain" },
  });
}
