/**
 * The Manager contract (Tomcat's `ClusterManager`): one per distributable app, holding its
 * sessions and replicating them over the channel.
 *
 * This is the part of the contract the conformance suite checks; the session API of SPEC
 * section 4 is built on it with the HTTP layer.
 *
 * @module
 */
import type { Member, MembershipListener } from "./member.ts";
import type { Startable } from "./startable.ts";

/** A session as a manager stores and replicates it. */
export interface SessionRecord {
  readonly id: string;
  readonly creationTime: number;
  lastAccessedTime: number;
  /** Seconds. */
  maxInactiveInterval: number;
  readonly attributes: Map<string, unknown>;
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
 * Holds an app's sessions. `start()` resolves once the manager holds the cluster's state (state
 * transfer done); `requestCompleted(id)` replicates what a request changed, with the cluster's
 * `channelSendOptions`.
 */
export interface Manager extends Startable {
  /** The app's context name; messages carry it so that each reaches its app's manager. */
  readonly name: string;
  createSession(): SessionRecord;
  findSession(id: string): SessionRecord | undefined;
  requestCompleted(id: string): Promise<void>;
  readonly sessionCount: number;
}
