/**
 * One request's session in library mode (Hono, Fastify): finds the session the cookie names,
 * creates one when the app asks, runs the node's valves around the app (ReplicationValve
 * replicates at the end, JvmRouteBinderValve moves a failed-over session to this node) and
 * tells which `Set-Cookie` to answer with, by SPEC section 4's cookie rules.
 *
 * This is the session half of `Host`'s request handling (src/http/host.ts), for apps that run
 * their own server.
 *
 * @module
 */
import type { Exchange } from "../interfaces/valve.ts";
import { parseSessionId, withRoute } from "../session/ids.ts";
import { Session } from "../session/session.ts";
import type { StoredSession } from "../session/store.ts";
import { type AppBinding, isExpired } from "./app.ts";

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

/**
 * The value of a `Cookie` header's cookie `name`. A copy of the helper in src/http/host.ts,
 * which does not export it.
 */
export function cookieValue(header: string | null | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The session of one request. */
export class SessionRequest {
  readonly #app: AppBinding;
  /** The cookie's value as sent. */
  readonly #raw: string | undefined;
  /** The cookie's value when it parses as a session id. */
  readonly requestedId: string | undefined;
  /** `null`: not looked up yet. */
  #requested: StoredSession | undefined | null = null;
  #session: Session | undefined;
  /** The session as the app sees it: created on its first write (see `LazySession`). */
  readonly session: LazySession;

  constructor(app: AppBinding, cookieHeader: string | null | undefined) {
    this.#app = app;
    this.#raw = cookieValue(cookieHeader, app.cookieName);
    this.requestedId = parseSessionId(this.#raw) ? this.#raw : undefined;
    this.session = new LazySession(this);
  }

  /** The stored session the cookie names, if this node holds it and it has not expired. */
  requested(): StoredSession | undefined {
    if (this.#requested === null) {
      const found = this.requestedId ? this.#app.manager.findSession(this.requestedId) : undefined;
      this.#requested = found && !isExpired(found, Date.now()) ? found : undefined;
    }
    return this.#requested;
  }

  /**
   * The request's session; with `create` (default true) a new one when it has none, like
   * `ctx.getSession()` in host mode.
   */
  getSession(create = true): Session | null {
    if (this.#session && !this.#session.invalid) return this.#session;
    // Once invalidated, the requested session is gone: never serve it again in this request.
    if (this.#session?.invalid) this.#requested = undefined;
    const found = this.requested();
    if (found) {
      found.lastAccessedTime = Date.now();
      this.#session = new Session(found, this.#app.manager, false);
    } else if (create) {
      this.#session = new Session(this.#app.manager.createSession(), this.#app.manager, true);
    }
    return this.#session ?? null;
  }

  /** The session the app used, if any, without creating one. */
  get used(): Session | undefined {
    return this.#session;
  }

  /** The valves' view of this request. */
  exchange(url: URL, request: () => Request): Exchange {
    const app = this.#app;
    const used = () => this.#session?.stored.id;
    return {
      get request() {
        return request();
      },
      url,
      jvmRoute: app.node.jvmRoute,
      requestedId: this.requestedId,
      requestedSession: () => this.requested(),
      get usedSessionId() {
        return used();
      },
      replicate: async () => {
        const session = this.#session;
        if (session) await Promise.all(session.pending);
        const id = session && !session.invalid ? session.stored.id : this.requested()?.id;
        if (id) await app.manager.requestCompleted(id);
      },
      rebind: () => {
        const found = this.requested();
        if (!found) return undefined;
        found.id = withRoute(found.id, app.node.jvmRoute);
        found.metaDirty = true;
        return found.id;
      },
    };
  }

  /**
   * Runs `handler` (the app) inside the node's valves, as host mode does; returns the response
   * the valves let through.
   */
  run(url: URL, request: () => Request, handler: () => Promise<Response>): Promise<Response> {
    const valves = this.#app.valves;
    const exchange = this.exchange(url, request);
    const step = (i: number): Promise<Response> =>
      i < valves.length ? valves[i].invoke(exchange, () => step(i + 1)) : handler();
    return step(0);
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
