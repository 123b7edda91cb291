/**
 * The session-manager contract (Tomcat's `ClusterManager`): one per app, holding its sessions and
 * replicating them over the channel. Everything the request path (host mode and the Express,
 * Hono and Fastify doors alike) does with sessions goes through it, and the manager conformance
 * suite (`conclave/testing`) checks all of it, so a manager that passes the suite serves every
 * door.
 *
 * @module
 */
import type { Member, MembershipListener } from "./member.ts";
import type { SessionListener } from "./session_listener.ts";
import type { Startable } from "./startable.ts";

/** A session as a manager stores and replicates it. */
export interface SessionRecord {
  /** 32 hex digits, `.`, the route of the node that owns it (changes with `rebind`). */
  readonly id: string;
  /** ms since the epoch, by the manager's clock. */
  readonly creationTime: number;
  /** ms since the epoch, by the manager's clock; `access` moves it. */
  readonly lastAccessedTime: number;
  /** Seconds of inactivity before the session expires; 0 or less: never. */
  readonly maxInactiveInterval: number;
  /** The attributes. Changes are replicated by the manager's `requestCompleted`. */
  readonly attributes: Map<string, unknown>;
  /** Keeps `name` on this node only (`true`, Tomcat's transient) or replicates it. */
  setLocal(name: string, local: boolean): void;
  /** Changes the session's timeout; replicated with the session's next changes. */
  setMaxInactiveInterval(seconds: number): void;
}

/** True when `record` sat idle for at least its `maxInactiveInterval` at `now` (ms). */
export function isExpired(record: SessionRecord, now: number): boolean {
  return record.maxInactiveInterval > 0 &&
    now - record.lastAccessedTime >= record.maxInactiveInterval * 1000;
}

/** What a manager needs of the channel: sending, listening and the member list. */
export interface ManagerChannel {
  send(destinations: readonly Member[], value: unknown, options: number): Promise<unknown>;
  getMembers(): readonly Member[];
  addChannelListener(listener: {
    accept?(message: unknown, sender: Member): boolean;
    messageReceived(message: unknown, sender: Member): void | Promise<void>;
  }): void;
  addMembershipListener(listener: MembershipListener): void;
}

/**
 * Holds an app's sessions. The guarantees every implementation gives (and the conformance suite
 * checks):
 * - `start()` resolves once the manager holds the cluster's state; `start` and `stop` are
 *   idempotent.
 * - `findSession` never returns an expired session (`isExpired` by the manager's clock), nor one
 *   that was invalidated, here or on another node once that news arrived.
 * - `createSession` refuses with `SESSION_ERR_TOO_MANY` when `maxActiveSessions` (>= 0) sessions
 *   are held; with an `id`, it refuses one that is malformed, in use or ended (`SESSION_ERR_ID`).
 * - `requestCompleted(id)` replicates what the request changed (attributes, timeout, access time
 *   where the manager needs it) with the cluster's `channelSendOptions`.
 * - `invalidate`, `changeId` and `rebind` end, re-key and re-route a session on every node;
 *   an ended id never comes back.
 */
export interface Manager extends Startable {
  /** The app's context name; messages carry it so that each reaches its app's manager. */
  readonly name: string;
  /** Sessions held on this node (for a manager that spreads them, the ones it serves). */
  readonly sessionCount: number;
  /** The most sessions held at once; -1: no limit. */
  readonly maxActiveSessions: number;
  /**
   * The `maxInactiveInterval` new sessions get, seconds (the app's default timeout), the same on
   * every node: what a session returns to when its own timeout is lifted (library mode's
   * browser-session cookie).
   */
  readonly maxInactiveInterval: number;
  /** The manager's clock, ms since the epoch: the time `isExpired` and `access` use. */
  now(): number;
  /**
   * A new session, under `id` when given (library mode keeps ids a framework made; it must be a
   * fresh Conclave id), replicated at the end of its first request.
   *
   * @throws {SESSION_ERR_TOO_MANY} at `maxActiveSessions`
   * @throws {SESSION_ERR_ID} for a given id that is malformed, in use or ended
   */
  createSession(id?: string): SessionRecord;
  /** The live session `id` names, if this node holds it. */
  findSession(id: string): SessionRecord | undefined;
  /**
   * A manager that keeps sessions on some nodes only brings one here from where it lives
   * (BackupManager); `undefined` when no live node holds it.
   */
  fetchSession?(id: string): Promise<SessionRecord | undefined>;
  /** Every live session held on this node. */
  sessions(): Iterable<SessionRecord>;
  /** Marks the session used now (its `lastAccessedTime`). */
  access(record: SessionRecord): void;
  /**
   * Replicates what the request changed in the session `id`; nothing when it is not held. With
   * `touch`, its access time travels even when nothing else changed (a session that is only
   * read stays alive on every node).
   */
  requestCompleted(id: string, options?: { touch?: boolean }): Promise<void>;
  /** Ends the session on every node. */
  invalidate(id: string): Promise<void>;
  /** Moves the session to a new id with the same data (after login); the old id ends. */
  changeId(record: SessionRecord): SessionRecord;
  /** Moves the session to `jvmRoute`'s suffix (failover); returns the new id. */
  rebind(record: SessionRecord, jvmRoute: string): string;
  /** Adds lifecycle hooks (an app's `sessionListener`). */
  addSessionListener?(listener: SessionListener): void;
  /** Duration of the last state transfer into this node, ms, for metrics. */
  readonly stateTransferMs?: number;
  /**
   * Optional counters for metrics: `conflicts`, `antiEntropyRounds`, `antiEntropyRepaired`,
   * `antiEntropyBytes` (a missing one reads 0).
   */
  readonly stats?: Readonly<Record<string, number>>;
}
