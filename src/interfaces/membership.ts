/**
 * The Membership contract (Tomcat's `MembershipService`): who is in the cluster.
 *
 * @module
 */
import type { Member, MembershipListener } from "./member.ts";
import type { ChannelMessage } from "./message.ts";
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
  /**
   * About one heartbeat, ms: how long a starting node lets members be heard before it asks them
   * for the sessions. @default 500
   */
  readonly settleTime?: number;
  /** True when members must prove the cluster's shared secret (unproven ones are dropped). */
  readonly authenticated?: boolean;
  /**
   * The shared secret, which also keys every channel connection (handed by the kernel to the
   * receiver, sender and transport only). Absent: none.
   */
  readonly channelSecret?: string;
  /**
   * For a membership that talks over the channel's own transport (static membership): the
   * coordinator hands it a way to send, and passes it every message carrying
   * `SendOptions.MEMBERSHIP`. Optional.
   */
  attachChannel?(channel: MembershipChannel): void;
  messageReceived?(message: ChannelMessage): Promise<void>;
}

/** What the coordinator lends a membership that sends over the channel's transport. */
export interface MembershipChannel {
  /** Sends `payload` to `to` as a membership message, acknowledged once read. */
  send(to: Member, payload: Uint8Array): Promise<void>;
}
