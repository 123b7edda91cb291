/**
 * The Membership contract (Tomcat's `MembershipService`): who is in the cluster.
 *
 * @module
 */
import type { Member, MembershipListener } from "./member.ts";
import type { UniqueId } from "./unique_id.ts";

/** What the local member advertises; the coordinator sets host and port once the receiver bound. */
export interface LocalMemberProperties {
  host?: string;
  port?: number;
  ready?: boolean;
  payload?: Uint8Array;
}

/**
 * Finds the other members and reports them to its listener.
 *
 * Guarantees: no listener call before `start(MBR_RX_SEQ)` or after `stop`; `getMembers()` never
 * contains the local member; a member is added once before it disappears once.
 */
export interface Membership {
  /** `level` holds the bits `StartOptions.MBR_RX_SEQ` (listen) and/or `MBR_TX_SEQ` (announce). */
  start(level: number): Promise<void>;
  /** Stops the parts named by `level`; stopping MBR_TX announces a graceful departure. */
  stop(level: number): Promise<void>;
  setListener(listener: MembershipListener): void;
  setLocalMemberProperties(properties: LocalMemberProperties): void;
  getLocalMember(): Member;
  getMembers(): readonly Member[];
  getMember(id: UniqueId): Member | undefined;
}
