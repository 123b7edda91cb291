/**
 * The Receiver and Sender contracts (Tomcat's `ChannelReceiver`, `ChannelSender` and its
 * `MultiPointSender` transport).
 *
 * @module
 */
import type { Member } from "./member.ts";
import type { ChannelMessage } from "./message.ts";
import type { Startable } from "./startable.ts";

/**
 * Handles one received message. For a message sent with USE_ACK|SYNCHRONIZED_ACK the receiver
 * acknowledges only after the returned promise settles, and a rejection becomes a fail-ack.
 */
export type MessageHandler = (message: ChannelMessage) => Promise<void>;

/** Accepts messages from other members. Frames from one sender arrive in the order sent. */
export interface Receiver extends Startable {
  setHandler(handler: MessageHandler): void;
  /** The host and port actually bound, once started (port 0 in config means "any free port"). */
  readonly boundAddress: { host: string; port: number } | undefined;
  /** True when a peer must prove who it is to connect (mutual TLS). */
  readonly authenticatesPeers?: boolean;
}

/**
 * Sends to other members. `sendMessage` resolves according to the message's options (written,
 * acked, or processed) and rejects with a `SendError` listing every member it did not reach;
 * the others still receive.
 */
export interface Sender extends Startable {
  sendMessage(message: ChannelMessage, destinations: readonly Member[]): Promise<void>;
  /** Periodic upkeep (close idle connections); called by the channel heartbeat. */
  heartbeat(): void;
  /** Drops whatever the sender keeps for a member that left. */
  memberDisappeared(member: Member): void;
  /**
   * Tells `listener` when an established connection to a member closes unexpectedly (a reset, a
   * crash), so a failure detector can check that member at once. Optional.
   */
  setConnectionListener?(listener: (member: Member, cause: Error) => void): void;
  /** True when the sender proves who it is by a client certificate (its half of mutual TLS). */
  readonly presentsCertificate?: boolean;
}

/** The sender's transport slot (`PooledParallelSender`): same contract as a sender. */
export type Transport = Sender;
