/**
 * The Interceptor contract (Tomcat's `ChannelInterceptor`): one layer of the channel's stack.
 *
 * Sends, heartbeats, lifecycle calls and membership queries travel down (towards the
 * coordinator); received messages and membership events travel up (towards the application).
 * Extend `InterceptorBase` (from `conclave/internal`), which forwards everything, and override only
 * what the layer changes. Not forwarding a message drops it: say so in the interceptor's docs.
 *
 * @module
 */
import type { DepartureReason, Member } from "./member.ts";
import type { ChannelMessage } from "./message.ts";
import type { UniqueId } from "./unique_id.ts";

/** The kernel links layers through this symbol; plugins never call it. */
export const INTERCEPTOR_LINK: unique symbol = Symbol.for("conclave.interceptor.link") as never;

export interface Interceptor {
  /**
   * The send-option bits this layer acts on (0: all messages). Two layers whose non-zero flags
   * overlap are rejected at start.
   */
  readonly optionFlag: number;
  /** Links the layer below (`next`) and above (`previous`). */
  [INTERCEPTOR_LINK](next: Interceptor | undefined, previous: Interceptor | undefined): void;

  // down
  sendMessage(destinations: readonly Member[], message: ChannelMessage): Promise<void>;
  heartbeat(): void;
  start(svc: number): Promise<void>;
  stop(svc: number): Promise<void>;
  hasMembers(): boolean;
  getMembers(): readonly Member[];
  getMember(id: UniqueId): Member | undefined;
  getLocalMember(): Member;

  // up
  messageReceived(message: ChannelMessage): Promise<void>;
  memberAdded(member: Member): void;
  memberDisappeared(member: Member, reason: DepartureReason): void;
  /**
   * The transport lost an established connection to `member` (a reset, a crash): a failure
   * detector verifies at once; other layers pass it up, and the channel ignores it.
   */
  memberSuspected(member: Member, cause: Error): void;
}
