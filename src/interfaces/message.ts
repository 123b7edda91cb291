/**
 * The message that travels through the channel, and Tomcat's send-option bits.
 *
 * @module
 */
import type { Member } from "./member.ts";
import type { UniqueId } from "./unique_id.ts";

/** Tomcat's `Channel.SEND_OPTIONS_*` bits, with the same values. */
export const SendOptions = {
  /** The payload is raw bytes, not a CBOR-encoded value. Set by the channel itself. */
  BYTE_MESSAGE: 0x01,
  /** Resolve once the receiver has read the message. */
  USE_ACK: 0x02,
  /** With USE_ACK: resolve once the receiver's chain has processed it; a failure there rejects. */
  SYNCHRONIZED_ACK: 0x04,
  /** Queue the message and resolve at once (MessageDispatchInterceptor). */
  ASYNCHRONOUS: 0x08,
  /** Reserved by Tomcat, unused. */
  SECURE: 0x10,
  /** Send as a datagram (not implemented). */
  UDP: 0x20,
  /** Send through the membership service's multicast socket (not implemented). */
  MULTICAST: 0x40,
  /**
   * Reserved by Conclave: a membership message (static membership's pings), handed to the
   * membership service instead of the interceptor stack.
   */
  MEMBERSHIP: 0x4000_0000,
} as const;

/** `SEND_OPTIONS_DEFAULT` = USE_ACK, as in Tomcat. */
export const SEND_OPTIONS_DEFAULT = SendOptions.USE_ACK;

/** Tomcat's `channelStartOptions` bits. */
export const StartOptions = {
  /** Data receiver. */
  SND_RX_SEQ: 1,
  /** Data sender. */
  SND_TX_SEQ: 2,
  /** Membership receive. */
  MBR_RX_SEQ: 4,
  /** Membership transmit. */
  MBR_TX_SEQ: 8,
  /** All four. */
  DEFAULT: 15,
} as const;

/** Tomcat's `ChannelMessage`: what travels down to the sender and up from the receiver. */
export interface ChannelMessage {
  /** Send-option bits (see {@link SendOptions}); bits above 0x40 are free for interceptors. */
  options: number;
  /** Sender's wall clock, ms since the epoch. */
  timestamp: number;
  /** 16 random bytes, fresh for each message. */
  uniqueId: UniqueId;
  /** The sending member. */
  address: Member;
  /** The bytes; interceptors may replace them (compress, encrypt) on the way down and back up. */
  payload: Uint8Array;
}
