/**
 * `conclave/hono`: replicated sessions for a Hono app that runs its own server, from a node
 * started in code. The middleware puts the session on `c.get("session")`, sends SPEC's session
 * cookie and replicates what the request changed before the response leaves.
 *
 * @example A counter
 * ```ts
 * import { Hono } from "hono";
 * import { startNode } from "conclave";
 * import { type ConclaveEnv, conclaveSession } from "conclave/hono";
 *
 * const node = await startNode(config); // config.apps: [{ path: "/", distributable: true, ... }]
 * const app = new Hono<ConclaveEnv>();
 * app.use(conclaveSession(node));
 * app.get("/", (c) => {
 *   const session = c.get("session");
 *   const n = ((session.get("n") as number | undefined) ?? 0) + 1;
 *   session.set("n", n);
 *   return c.json({ n });
 * });
 * ```
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { ClusterNode } from "../kernel/node.ts";
import type { Session } from "../session/session.ts";
import { type AppOptions, bindApp } from "./app.ts";
import { errorResponse } from "../session/limits.ts";
import { type LazySession, SessionRequest } from "../session/request.ts";

export type { SessionApi } from "../session/request.ts";
export type { LazySession };

/** The variables the middleware sets: `new Hono<ConclaveEnv>()` types them. */
export interface ConclaveEnv {
  Variables: {
    /** The request's session, created on the app's first write (see `LazySession`). */
    session: LazySession;
    /** Host mode's `ctx.getSession(create = true)`. */
    getSession: (create?: boolean) => Session | null;
  };
}

/**
 * Session middleware bound to `node`'s app at `options.path` (default `/`), which must be a
 * app of the node's config.
 *
 * @throws {APP_ERR_LOAD} when the node has no app at that path
 */
export function conclaveSession(
  node: ClusterNode,
  options: AppOptions = {},
): MiddlewareHandler<ConclaveEnv> {
  const app = bindApp(node, options);
  return async (c, next) => {
    const request = new SessionRequest(app, c.req.header("cookie"));
    await request.prepare();
    c.set("session", request.session);
    c.set("getSession", (create?: boolean) => request.getSession(create));
    const response = await request.run(new URL(c.req.url), () => c.req.raw, async () => {
      await next();
      // Hono turns a route's error into onError's answer: the session limit answers 503 instead.
      return errorResponse(c.error) ?? c.res;
    });
    // A valve may answer in the app's place.
    if (response !== c.res) c.res = response;
    const cookie = request.setCookie();
    if (cookie) c.header("set-cookie", cookie, { append: true });
  };
}
