/**
 * The request path: one request's session, the same for host mode and the Express, Hono and
 * Fastify doors. It finds the session the cookie names (fetched from where it lives, for a
 * manager that spreads sessions), creates one when the app asks, runs the app's valves around the
 * app (ReplicationValve replicates at the end, JvmRouteBinderValve moves a failed-over session to
 * this node) and tells which `Set-Cookie` to answer with, by SPEC section 4's cookie rules.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import { isExpired, type Manager, type SessionRecord } from "../interfaces/manager.ts";
import type { Exchange, Valve } from "../interfaces/valve.ts";
import type { AppConfig } from "../kernel/config/types.ts";
import type { ClusterNode } from "../kernel/node.ts";
import { parseSessionId } from "./ids.ts";
import { errorResponse } from "./limits.ts";
import { Session } from "./session.ts";

/** One app's sessions as the request path serves them. */
export interface AppSessions {
  readonly manager: Manager;
  /** Outermost first; none for an app that is not distributable. */
  readonly valves: readonly Valve[];
  /** This node's route. */
  readonly jvmRoute: string;
  /** The app path: the cookie's `Path`. */
  readonly path: string;
  readonly cookieName: string;
  /** The cookie's `Secure` flag. */
  readonly secure: boolean;
  /**
   * True for an app that is not distributable: no valve replicates, so the path itself ends the
   * request with the manager (which keeps the session on this node).
   */
  readonly completeLocally: boolean;
}

/**
 * `app`'s sessions on `node`: the node's valves and replication for a distributable app in a
 * cluster, this node only otherwise; cookie settings from the app's config unless overridden.
 *
 * @throws {APP_ERR_LOAD} when the node holds no manager for the app
 */
export function appSessions(
  node: ClusterNode,
  app: AppConfig,
  cookie: { cookieName?: string; secure?: boolean } = {},
): AppSessions {
  const manager = node.managers.get(app.path);
  if (!manager) {
    throw new ConclaveError("APP_ERR_LOAD", `The node has no session manager for ${app.path}`);
  }
  const replicated = app.distributable && !node.config.cluster.alone;
  return {
    manager,
    valves: replicated ? node.valves : [],
    jvmRoute: node.jvmRoute,
    path: app.path,
    cookieName: cookie.cookieName ?? app.cookieName,
    secure: cookie.secure ?? app.secure,
    completeLocally: !replicated,
  };
}

/** The session API of SPEC section 4, as `Session` offers it. */
export type SessionApi = Pick<
  Session,
  | "id"
  | "isNew"
  | "creationTime"
  | "lastAccessedTime"
  | "maxInactiveInterval"
  | "invalid"
  | "get"
  | "set"
  | "delete"
  | "names"
  | "invalidate"
  | "changeId"
>;

/** The value of a `Cookie` header's cookie `name` (the first one; none in an oversized header). */
export function cookieValue(header: string | null | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The session of one request, and the valves' view of it (an `Exchange`: one object per request,
 * no closures).
 */
export class SessionRequest implements Exchange {
  readonly #app: AppSessions;
  /** The cookie's value as sent. */
  readonly #raw: string | undefined;
  /** The cookie's value when it parses as a session id. */
  readonly requestedId: string | undefined;
  /** `null`: not looked up yet. */
  #requested: SessionRecord | undefined | null = null;
  #session: Session | undefined;
  #replicated = false;
  #lazy: LazySession | undefined;
  #request: (() => Request) | undefined;
  #url: URL | undefined;

  constructor(app: AppSessions, cookieHeader: string | null | undefined) {
    this.#app = app;
    this.#raw = cookieValue(cookieHeader, app.cookieName);
    this.requestedId = parseSessionId(this.#raw) ? this.#raw : undefined;
  }

  /** The session as middleware hands it to an app: created on its first write. */
  get session(): LazySession {
    return this.#lazy ??= new LazySession(this);
  }

  /**
   * Brings the requested session here when the manager keeps it elsewhere (BackupManager).
   * Call before the app runs; nothing to wait for (undefined) when the session is here or absent.
   */
  prepare(): Promise<void> | undefined {
    const { manager } = this.#app;
    if (!this.requestedId || !manager.fetchSession || manager.findSession(this.requestedId)) {
      return undefined;
    }
    return manager.fetchSession(this.requestedId).then((fetched) => {
      this.#requested = fetched && !isExpired(fetched, manager.now()) ? fetched : undefined;
    });
  }

  /** The live session the cookie names, if this node holds it. */
  requested(): SessionRecord | undefined {
    if (this.#requested === null) {
      this.#requested = this.requestedId
        ? this.#app.manager.findSession(this.requestedId)
        : undefined;
    }
    return this.#requested;
  }

  /**
   * The request's session; with `create` (default true) a new one when it has none.
   *
   * @throws {SESSION_ERR_TOO_MANY} (with `status` 503) when a new one would pass the limit
   */
  getSession(create = true): Session | null {
    if (this.#session && !this.#session.invalid) return this.#session;
    // Once invalidated, the requested session is gone: never serve it again in this request.
    if (this.#session?.invalid) this.#requested = undefined;
    const { manager } = this.#app;
    const found = this.requested();
    if (found) {
      manager.access(found);
      this.#session = new Session(found, manager, false);
    } else if (create) {
      this.#session = new Session(manager.createSession(), manager, true);
    }
    return this.#session ?? null;
  }

  /** The session the app used, if any, without creating one. */
  get used(): Session | undefined {
    return this.#session;
  }

  // ---------------------------------------------------------------- Exchange, for the valves

  get request(): Request {
    if (!this.#request) throw new Error("SessionRequest: no request before run()");
    return this.#request();
  }
  get url(): URL {
    if (!this.#url) throw new Error("SessionRequest: no URL before run()");
    return this.#url;
  }
  get jvmRoute(): string {
    return this.#app.jvmRoute;
  }
  requestedSession(): SessionRecord | undefined {
    return this.requested();
  }
  get usedSessionId(): string | undefined {
    return this.#session?.stored.id;
  }
  replicate(): Promise<void> {
    this.#replicated = true;
    return this.#complete();
  }
  rebind(): string | undefined {
    const found = this.requested();
    return found ? this.#app.manager.rebind(found, this.#app.jvmRoute) : undefined;
  }

  /** Waits for the session's pending work, then ends the request with the manager. */
  async #complete(): Promise<void> {
    const session = this.#session;
    if (session && session.pending.length > 0) await Promise.all(session.pending);
    const id = session && !session.invalid ? session.stored.id : this.requested()?.id;
    if (id) await this.#app.manager.requestCompleted(id);
  }

  /**
   * Runs `handler` (the app) inside the app's valves; returns the response the valves let
   * through, or the request path's own answer to its errors (503 at the session limit).
   */
  async run(
    url: URL,
    request: () => Request,
    handler: () => Promise<Response>,
  ): Promise<Response> {
    this.#url = url;
    this.#request = request;
    let response: Response;
    try {
      response = await this.#step(0, handler);
    } catch (err) {
      const answer = errorResponse(err);
      if (!answer) throw err;
      response = answer;
    }
    if (!this.#replicated && this.#app.completeLocally) await this.#complete();
    return response;
  }

  #step(i: number, handler: () => Promise<Response>): Promise<Response> {
    const valves = this.#app.valves;
    return i < valves.length ? valves[i].invoke(this, () => this.#step(i + 1, handler)) : handler();
  }

  /**
   * The `Set-Cookie` value the response needs, if any: the new id of a new, rebound or re-keyed
   * session, or an expired cookie after `invalidate()` (SPEC section 4).
   */
  setCookie(): string | undefined {
    const { cookieName, path, secure } = this.#app;
    const session = this.#session;
    if (session?.invalid) {
      return `${cookieName}=; Path=${path}; Max-Age=0; HttpOnly; SameSite=Lax`;
    }
    const id = session?.stored.id ?? this.requested()?.id;
    if (!id || id === this.#raw) return undefined;
    return `${cookieName}=${id}; Path=${path}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
  }
}

/**
 * The session as middleware hands it to the app, before the app has decided whether it needs
 * one. A request without a session gets none until the app writes: reads see an empty session,
 * and the first `set`, `maxInactiveInterval` change or `changeId()` creates it (reading `id`,
 * `creationTime` or `lastAccessedTime` does too). So a visitor who never logs in, a crawler or
 * a favicon fetch creates no session on the cluster and gets no cookie, as with express-session's
 * `saveUninitialized: false`. For host mode's exact semantics use `getSession()`.
 */
export class LazySession implements SessionApi {
  readonly #request: SessionRequest;

  constructor(request: SessionRequest) {
    this.#request = request;
  }

  #existing(): Session | null {
    return this.#request.used ?? this.#request.getSession(false);
  }
  #needed(): Session {
    // A used session that was invalidated stays in place, so its methods throw as Session's do.
    return this.#request.used ?? this.#request.getSession(true) as Session;
  }

  get id(): string {
    return this.#needed().id;
  }
  /** True when the session was created in this request (or is not created yet). */
  get isNew(): boolean {
    return this.#existing()?.isNew ?? true;
  }
  get creationTime(): number {
    return this.#needed().creationTime;
  }
  get lastAccessedTime(): number {
    return this.#needed().lastAccessedTime;
  }
  get maxInactiveInterval(): number {
    return this.#needed().maxInactiveInterval;
  }
  set maxInactiveInterval(seconds: number) {
    this.#needed().maxInactiveInterval = seconds;
  }
  get invalid(): boolean {
    return this.#request.used?.invalid ?? false;
  }
  get(name: string): unknown {
    return this.#existing()?.get(name);
  }
  set(name: string, value: unknown, options?: { replicate?: boolean }): void {
    this.#needed().set(name, value, options);
  }
  delete(name: string): void {
    this.#existing()?.delete(name);
  }
  names(): string[] {
    return this.#existing()?.names() ?? [];
  }
  /** Ends the session on every node; nothing to do when the request has none. */
  invalidate(): void {
    this.#existing()?.invalidate();
  }
  /** A new id for the session (after login); a session created here already has a fresh one. */
  changeId(): string {
    const session = this.#existing();
    if (!session) return this.#needed().id;
    return session.isNew ? session.id : session.changeId();
  }
}
