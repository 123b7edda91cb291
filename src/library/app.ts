/**
 * Library mode's link to a node: the session manager, cookie settings and valves of one app path
 * of a node started in code (`startNode(config)`), shared by the Express store and the Hono and
 * Fastify middleware.
 *
 * @module
 */
import type { Logger } from "../interfaces/logger.ts";
import type { Valve } from "../interfaces/valve.ts";
import { ConclaveError } from "../errors.ts";
import { componentLogger } from "../kernel/log.ts";
import type { ClusterNode } from "../kernel/node.ts";
import type { SessionOwner } from "../session/session.ts";
import type { StoredSession } from "../session/store.ts";

/** What library mode needs of an app's manager: `DeltaManager`'s session surface. */
export interface LibraryManager extends SessionOwner {
  readonly name: string;
  readonly sessionCount: number;
  /** A new session, under `id` when given (it must parse as a Conclave id). */
  createSession(id?: string): StoredSession;
  findSession(id: string): StoredSession | undefined;
  requestCompleted(id: string): Promise<void>;
  invalidate(id: string): Promise<void>;
}

/** Which app of the node, and how its cookie looks. */
export interface AppOptions {
  /** The app path in the node's `apps`; also the cookie's `Path`. @default "/" */
  path?: string;
  /** @default the app's `cookieName` in the config, else "JSESSIONID" */
  cookieName?: string;
  /** The cookie's `Secure` flag. @default the app's `secure` in the config */
  secure?: boolean;
}

/** One app of a node, as library mode serves it. */
export interface AppBinding {
  readonly node: ClusterNode;
  readonly path: string;
  readonly cookieName: string;
  readonly secure: boolean;
  readonly manager: LibraryManager;
  readonly valves: readonly Valve[];
  readonly logger: Logger;
}

function isLibraryManager(manager: unknown): manager is LibraryManager {
  const m = manager as Partial<LibraryManager> | undefined;
  return typeof m?.createSession === "function" && typeof m.findSession === "function" &&
    typeof m.requestCompleted === "function" && typeof m.invalidate === "function" &&
    typeof m.changeId === "function";
}

/**
 * Finds the manager of `options.path` on `node`.
 *
 * @throws {APP_ERR_LOAD} when the node has no distributable app at that path, or its manager
 *   cannot serve sessions to apps
 */
export function bindApp(node: ClusterNode, options: AppOptions = {}): AppBinding {
  const path = options.path ?? "/";
  const manager = node.managers.get(path);
  if (!manager) {
    const known = [...node.managers.keys()].map((p) => JSON.stringify(p)).join(", ");
    throw new ConclaveError(
      "APP_ERR_LOAD",
      `Node ${node.jvmRoute} has no distributable app at ${JSON.stringify(path)} (it has ${
        known || "none"
      }): add { "path": ${JSON.stringify(path)}, "distributable": true } to the config's apps`,
    );
  }
  if (!isLibraryManager(manager)) {
    throw new ConclaveError(
      "APP_ERR_LOAD",
      `The manager of ${path} (${manager.constructor.name}) cannot serve sessions to apps`,
    );
  }
  const app = node.config.apps.find((a) => a.path === path);
  return {
    node,
    path,
    cookieName: options.cookieName ?? app?.cookieName ?? "JSESSIONID",
    secure: options.secure ?? app?.secure ?? false,
    manager,
    valves: node.valves,
    logger: componentLogger(node.logger, "library"),
  };
}

/**
 * Creates a session under an id a framework chose.
 *
 * @throws {SESSION_ERR_ID} when the id is malformed, in use or was invalidated
 * @throws {TypeError} when the manager cannot create sessions under a given id
 */
export function createSessionWithId(manager: LibraryManager, id: string): StoredSession {
  const stored = manager.createSession(id);
  if (stored.id !== id) {
    // A manager without `createSession(id)` made up its own id: fail loudly, not with lost data.
    void manager.invalidate(stored.id).catch(() => {});
    throw new TypeError(`The manager of ${manager.name} cannot create a session under a given id`);
  }
  return stored;
}

/** True when a session sat idle for longer than its `maxInactiveInterval`. */
export function isExpired(stored: StoredSession, now: number): boolean {
  return stored.maxInactiveInterval > 0 &&
    now - stored.lastAccessedTime >= stored.maxInactiveInterval * 1000;
}

/**
 * Every session the manager holds. `DeltaManager` exposes them through its `store`; a manager
 * with a `sessions()` method is used as it is.
 */
export function allSessions(manager: LibraryManager): StoredSession[] {
  const m = manager as LibraryManager & {
    sessions?: () => Iterable<StoredSession>;
    store?: { sessions(): Iterable<StoredSession> };
  };
  if (typeof m.sessions === "function") return [...m.sessions()];
  if (typeof m.store?.sessions === "function") return [...m.store.sessions()];
  throw new ConclaveError(
    "APP_ERR_LOAD",
    `The manager of ${manager.name} cannot list its sessions`,
  );
}
