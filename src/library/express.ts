/**
 * `conclave/express`: an `express-session` store backed by a node started in code, so an app
 * swaps its Redis (or other) store for Conclave without changing anything else: every node of
 * the cluster holds every session (DeltaManager) and each save replicates only what changed.
 *
 * @example Replacing `connect-redis`
 * ```ts
 * import express from "express";
 * import session from "express-session";
 * import { startNode } from "conclave";
 * import { ConclaveStore } from "conclave/express";
 *
 * const node = await startNode(config); // config.apps: [{ path: "/", distributable: true, ... }]
 * const store = new ConclaveStore(node); // was: new RedisStore({ client })
 * const app = express();
 * app.use(session({ store, genid: store.genid, secret, resave: false, saveUninitialized: false }));
 * ```
 *
 * express-session keeps its own cookie (`connect.sid` by default, signed with `secret`) and
 * decides when to save (`resave`, `saveUninitialized`); Conclave decides nothing about the cookie.
 * Ids must be Conclave ids: pass `genid: store.genid`, which ends each id with the node's
 * `jvmRoute`, so a balancer's stickiness by suffix works. A session served by another node than
 * its id names (failover) is moved to this node's route, as JvmRouteBinderValve does: the next
 * save sends the new id in the cookie.
 *
 * Session data travels as JSON-shaped values, as with any express-session store: one session
 * attribute per top-level key of `req.session` (`cookie` included). A save compares each key
 * with what the node holds and writes only the keys that differ, so only those replicate
 * (DeltaManager sends changed attributes): a counter increment sends the counter, not the
 * whole session, and `resave: true` on an unchanged session sends nothing but its cookie.
 *
 * @module
 */
import session from "express-session";
import type { ClusterNode } from "../kernel/node.ts";
import { ConclaveError } from "../errors.ts";
import type { SessionRecord } from "../interfaces/manager.ts";
import { newSessionId, parseSessionId } from "../session/ids.ts";
import { type AppBinding, bindApp } from "./app.ts";

type SessionData = session.SessionData;
type Callback = (err?: unknown) => void;

/** Options of `ConclaveStore`. */
export interface ConclaveStoreOptions {
  /** The app path in the node's `apps` whose sessions the store holds. @default "/" */
  path?: string;
  /**
   * Seconds between two replicated `touch`es of one session (a request that only read it):
   * reading sessions keeps them alive on every node without a message per request.
   * @default 60
   */
  touchAfter?: number;
  /** Move a failed-over session to this node's route (JvmRouteBinderValve). @default true */
  rebind?: boolean;
}

/** JSON's view of a value: what any express-session store keeps of a session. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * True when the session's stored cookie has expired (express-session's `cookie.expires`, to the
 * millisecond, as its MemoryStore decides); a browser-session cookie never does.
 */
function cookieExpired(stored: SessionRecord, now: number): boolean {
  const cookie = stored.attributes.get("cookie") as { expires?: unknown } | undefined;
  const expires = typeof cookie?.expires === "string" ? Date.parse(cookie.expires) : NaN;
  return !Number.isNaN(expires) && expires <= now;
}

/** An express-session `Store` whose sessions live in a Conclave cluster. */
export class ConclaveStore extends session.Store {
  readonly #app: AppBinding;
  readonly #touchAfter: number;
  readonly #rebind: boolean;
  /** When this node last replicated each session. */
  readonly #replicated = new WeakMap<SessionRecord, number>();
  /** The lifetime this node first saw each session with, seconds (see `#defaultLifetime`). */

  /**
   * @throws {APP_ERR_LOAD} when the node has no app at `options.path`
   */
  constructor(node: ClusterNode, options: ConclaveStoreOptions = {}) {
    super();
    this.#app = bindApp(node, { path: options.path });
    this.#touchAfter = (options.touchAfter ?? 60) * 1000;
    this.#rebind = options.rebind ?? true;
  }

  /** Pass as express-session's `genid`: a new Conclave id ending with this node's route. */
  readonly genid = (): string => newSessionId(this.#app.node.jvmRoute);

  /** The live session `sid` names: neither idle past its timeout nor past its cookie's expiry. */
  #live(sid: string): SessionRecord | undefined {
    const { manager } = this.#app;
    const stored = parseSessionId(sid) ? manager.findSession(sid) : undefined;
    if (!stored || !cookieExpired(stored, manager.now())) return stored;
    void this.#invalidate(stored.id); // ended everywhere, as MemoryStore destroys it
    return undefined;
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void) {
    const stored = this.#live(sid);
    if (!stored) {
      callback(null, null);
      return;
    }
    this.#app.manager.access(stored);
    callback(null, this.#data(stored));
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    this.#settle(this.#save(sid, data), callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#settle(this.#invalidate(sid), callback);
  }

  /**
   * Keeps the session alive and its stored cookie current (a rolling `expires`); what a touch
   * changed replicates at most once per `touchAfter`, or with the session's next save.
   */
  override touch(sid: string, data: SessionData, callback?: () => void): void {
    const { manager } = this.#app;
    const stored = this.#live(sid);
    if (!stored) {
      callback?.();
      return;
    }
    manager.access(stored);
    if (data.cookie) this.#write(stored, "cookie", plain(data.cookie));
    this.#lifetime(stored, data);
    if (manager.now() - (this.#replicated.get(stored) ?? 0) < this.#touchAfter) {
      callback?.();
      return;
    }
    this.#settle(this.#replicate(stored, true), callback);
  }

  /** The live sessions' count: the same sessions `all` lists. */
  override length(callback: (err: unknown, length?: number) => void): void {
    callback(null, this.#sessions().length);
  }

  override all(
    callback: (err: unknown, sessions?: { [sid: string]: SessionData } | null) => void,
  ): void {
    const sessions: { [sid: string]: SessionData } = {};
    for (const stored of this.#sessions()) sessions[stored.id] = this.#data(stored);
    callback(null, sessions);
  }

  #sessions(): SessionRecord[] {
    const { manager } = this.#app;
    const now = manager.now();
    return [...manager.sessions()].filter((s) => !cookieExpired(s, now));
  }

  /** Ends every session of the app, on every node. */
  override clear(callback?: Callback): void {
    this.#settle(
      Promise.resolve().then(() =>
        Promise.all([...this.#app.manager.sessions()].map((s) => this.#invalidate(s.id)))
      ).then(() => {}),
      callback,
    );
  }

  /**
   * Rebinds a failed-over session (its id names another node) to this node's route before
   * express-session wraps it, so that the request carries on under the new id and its next save
   * sends the new cookie (JvmRouteBinderValve).
   */
  override createSession(
    req: Parameters<session.Store["createSession"]>[0],
    data: SessionData,
  ): ReturnType<session.Store["createSession"]> {
    const jvmRoute = this.#app.node.jvmRoute;
    const route = parseSessionId(req.sessionID)?.route;
    const stored = route !== undefined && route !== jvmRoute && this.#rebind
      ? this.#app.manager.findSession(req.sessionID)
      : undefined;
    if (stored) {
      if (parseSessionId(stored.id)?.route !== jvmRoute) {
        const from = stored.id;
        this.#app.manager.rebind(stored, jvmRoute);
        this.#app.logger.info({ from, to: stored.id }, "Session failed over to this node");
        // Replicated now: a request that only reads never saves.
        void this.#replicate(stored);
      }
      req.sessionID = stored.id;
    }
    return super.createSession(req, data);
  }

  #data(stored: SessionRecord): SessionData {
    const data: Record<string, unknown> = {};
    // Copies: express-session's objects are mutated in place, and the next save compares them
    // with what the node holds.
    for (const [name, value] of stored.attributes) data[name] = structuredClone(value);
    // A session created outside express-session (host mode on the same path) has no cookie.
    data.cookie ??= { originalMaxAge: null, path: this.#app.path, httpOnly: true };
    return data as unknown as SessionData;
  }

  #write(stored: SessionRecord, name: string, value: unknown): void {
    if (!stored.attributes.has(name) || !same(stored.attributes.get(name), value)) {
      stored.attributes.set(name, value);
    }
  }

  async #save(sid: string, data: SessionData): Promise<void> {
    const { manager } = this.#app;
    if (!parseSessionId(sid)) {
      throw new ConclaveError(
        "SESSION_ERR_ID",
        `Cannot store session ${
          JSON.stringify(sid).slice(0, 60)
        }: express-session must make Conclave ids; pass genid: store.genid to session()`,
      );
    }
    let stored = manager.findSession(sid);
    if (!stored) {
      try {
        stored = manager.createSession(sid);
      } catch (err) {
        if ((err as ConclaveError).code !== "SESSION_ERR_ID") throw err;
        // Ended on another node while this request ran: its tombstone wins, as it does over any
        // late update, and the request goes on without a session.
        this.#app.logger.info({ session: sid }, "A save of an ended session was dropped");
        return;
      }
    }
    const values = plain(data) as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(values)) this.#write(stored, name, value);
    for (const name of [...stored.attributes.keys()]) {
      if (!Object.hasOwn(values, name)) stored.attributes.delete(name);
    }
    this.#lifetime(stored, data);
    manager.access(stored);
    await this.#replicate(stored);
  }

  /**
   * A timed cookie's `maxAge` is the session's lifetime (whole seconds, rounded up: `get` also
   * checks the cookie's `expires` to the millisecond); a browser-session cookie (`maxAge` null)
   * gives back the manager's default timeout, on whichever node the change is saved.
   */
  #lifetime(stored: SessionRecord, data: SessionData): void {
    const maxAge = data.cookie?.originalMaxAge;
    const seconds = typeof maxAge === "number" && maxAge > 0
      ? Math.ceil(maxAge / 1000)
      : this.#app.manager.maxInactiveInterval;
    if (stored.maxInactiveInterval !== seconds) stored.setMaxInactiveInterval(seconds);
  }

  /**
   * Replicates what changed. A failure is logged, not returned: the request succeeded on this
   * node, and the members that missed the change are named in the log (as ReplicationValve).
   */
  async #replicate(stored: SessionRecord, touch = false): Promise<void> {
    this.#replicated.set(stored, this.#app.manager.now());
    try {
      await this.#app.manager.requestCompleted(stored.id, { touch });
    } catch (err) {
      this.#app.logger.warn(
        { err: (err as Error).message, session: stored.id },
        "Session replication failed",
      );
    }
  }

  async #invalidate(sid: string): Promise<void> {
    try {
      await this.#app.manager.invalidate(sid);
    } catch (err) {
      this.#app.logger.warn(
        { err: (err as Error).message, session: sid },
        "Replicating a session's end failed",
      );
    }
  }

  #settle(work: Promise<void>, callback: Callback | undefined): void {
    work.then(() => callback?.(), (err) => callback?.(err));
  }
}
