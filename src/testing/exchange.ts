/**
 * A fake request exchange for valve tests.
 *
 * @module
 */
import type { Exchange } from "../interfaces/valve.ts";

/** An exchange for `path` that records what valves asked of it. */
export function fakeExchange(path: string, requestedId?: string, jvmRoute = "n2") {
  const calls: string[] = [];
  const session = requestedId ? { id: requestedId, metaDirty: false } : undefined;
  const exchange: Exchange = {
    request: new Request(`http://127.0.0.1${path}`),
    url: new URL(`http://127.0.0.1${path}`),
    jvmRoute,
    requestedId,
    requestedSession: () => session,
    usedSessionId: requestedId,
    replicate: () => {
      calls.push("replicate");
      return Promise.resolve();
    },
    rebind: () => {
      calls.push("rebind");
      return requestedId?.replace(/\.[^.]*$/, `.${jvmRoute}`);
    },
  };
  return { exchange, calls };
}
