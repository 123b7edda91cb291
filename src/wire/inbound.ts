/**
 * One connection accepted by a receiver: frames in, ACK and FAIL frames out.
 *
 * Messages are handed to the handler one at a time, in arrival order: the next waits until the
 * previous one's processing settled. That is what makes "in the order sent" hold for listeners
 * that await, and it bounds the work one peer can pile up (reading pauses when the queue is long).
 *
 * @module
 */
import type { Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { Member } from "../interfaces/member.ts";
import { type ChannelMessage, SendOptions } from "../interfaces/message.ts";
import type { MessageHandler } from "../interfaces/transport.ts";
import type { UniqueId } from "../interfaces/unique_id.ts";
import { ConclaveError } from "../errors.ts";
import type { PeerIdentity, StreamSocket } from "../runtime/sockets.ts";
import {
  decodeHeader,
  encodeAckHeader,
  encodeFailHeader,
  encodeVersionHeader,
  FrameType,
} from "./envelope.ts";
import { encodeFrame, FrameDecoder } from "./frame.ts";
import { FrameWriter } from "./writer.ts";

/** Pause reading above this many unprocessed messages; resume below the low mark. */
const HIGH_WATER = 1024;
const LOW_WATER = 256;

export interface InboundOptions {
  /** The member id the channel handshake proved; every message must name that member. */
  peerId?: UniqueId;
  clock: Clock;
  logger: Logger;
  maxFrameSize: number;
  /** How long a peer may leave our ACKs unread before it is cut off. */
  timeout: number;
  handler: MessageHandler;
  /** Counts errors by code, for the receiver's statistics. */
  onError: (code: string) => void;
  onMessage: () => void;
  onClose: (connection: InboundConnection) => void;
}

interface Queued {
  message: ChannelMessage;
  seq: number;
}

export class InboundConnection {
  readonly remote: string;
  #socket: StreamSocket;
  #options: InboundOptions;
  #writer: FrameWriter;
  #decoder: FrameDecoder;
  #member: Member | undefined;
  #queue: Queued[] = [];
  #draining = false;
  #paused = false;
  #closed = false;
  #endGracefully = false;

  constructor(socket: StreamSocket, options: InboundOptions) {
    this.#socket = socket;
    this.#options = options;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#writer = new FrameWriter(socket, {
      clock: options.clock,
      stallTimeout: options.timeout,
      onStall: () =>
        this.#fail(
          new ConclaveError(
            "SEND_ERR_PEER_NOT_READING",
            `Peer ${this.remote} left its acknowledgements unread for ${options.timeout} ms`,
          ),
        ),
    });
    this.#decoder = new FrameDecoder(
      options.maxFrameSize,
      (header, payload) => this.#onFrame(header, payload),
    );
    socket.onData((chunk) => {
      try {
        this.#decoder.push(chunk);
      } catch (error) {
        this.#fail(error as Error);
      }
    });
    socket.onClose((error) => {
      // A coded close reason is the peer's doing (a record that failed its check): count it.
      if (error instanceof ConclaveError) this.#report(error);
      try {
        this.#decoder.end();
      } catch (error) {
        this.#report(error as Error);
      }
      this.close();
    });
  }

  /** The member on the other end, once its first message named it. */
  get member(): Member | undefined {
    return this.#member;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close(new Error("connection closed"));
    if (this.#endGracefully) this.#socket.end();
    else this.#socket.destroy();
    this.#options.onClose(this);
  }

  #onFrame(headerBytes: Uint8Array, payload: Uint8Array): void {
    let header;
    try {
      header = decodeHeader(headerBytes);
    } catch (error) {
      if ((error as ConclaveError).code === "WIRE_ERR_VERSION") {
        // Tell the peer what we read before closing, so it can fall back to a version we share.
        this.#socket.write(encodeFrame(encodeVersionHeader()));
        this.#endGracefully = true;
      }
      throw error;
    }
    if (header.type !== FrameType.MSG) {
      throw new ConclaveError(
        "WIRE_ERR_MALFORMED",
        `Bad envelope: frame type ${header.type} sent to a receiver; expected MSG`,
      );
    }
    if (header.member) {
      this.#member = checkIdentity(header.member, this.#socket.peer, this.#options.peerId);
    }
    const address = this.#member;
    if (!address) {
      throw new ConclaveError(
        "WIRE_ERR_MALFORMED",
        "Bad envelope: the first message of a connection carries no member record",
      );
    }
    this.#options.onMessage();
    const { options, seq } = header;
    if ((options & SendOptions.USE_ACK) !== 0 && (options & SendOptions.SYNCHRONIZED_ACK) === 0) {
      this.#writer.write([encodeFrame(encodeAckHeader(seq))]); // read: ack before processing
    }
    this.#queue.push({
      seq,
      message: {
        options,
        timestamp: header.timestamp,
        uniqueId: header.uniqueId,
        address,
        payload,
      },
    });
    if (this.#queue.length >= HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#queue.length > 0) {
      const { message, seq } = this.#queue.shift() as Queued;
      if (this.#paused && this.#queue.length <= LOW_WATER && !this.#closed) {
        this.#paused = false;
        this.#socket.resume();
      }
      const sync = (message.options & (SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK)) ===
        (SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK);
      try {
        await this.#options.handler(message);
        if (sync) this.#writer.write([encodeFrame(encodeAckHeader(seq))]);
      } catch (error) {
        const code = error instanceof ConclaveError ? error.code : "ERROR";
        const text = error instanceof Error ? error.message : String(error);
        if (sync) this.#writer.write([encodeFrame(encodeFailHeader(seq, code, text))]);
        else {
          this.#options.logger.warn(
            { member: message.address.name, code, err: error },
            "Processing a message failed; the sender asked for no synchronized ack",
          );
        }
      }
    }
    this.#draining = false;
  }

  #report(error: Error): void {
    const code = error instanceof ConclaveError ? error.code : "ERROR";
    this.#options.onError(code);
    this.#options.logger.warn({
      remote: this.remote,
      member: this.#member?.name,
      code,
      err: error.message,
    }, "Bad input on a receiver connection; connection closed");
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#report(error);
    this.close(); // messages read whole before the bad frame stay queued and are still processed
  }
}

/**
 * A member may only speak as the one its connection proved: with the secret, the id of the channel
 * handshake; with mutual TLS, the node its certificate names (its `jvmRoute` must be the
 * certificate's common name or one of its DNS names).
 */
function checkIdentity(
  member: Member,
  peer: PeerIdentity | undefined,
  peerId: UniqueId | undefined,
): Member {
  if (peerId && !member.id.equals(peerId)) {
    throw new ConclaveError(
      "WIRE_ERR_IDENTITY",
      `A peer whose handshake proved member ${peerId.hex} claims member ${member.id.hex}; expected them to match`,
    );
  }
  if (!peer) return member;
  if (member.jvmRoute === peer.commonName || peer.altNames.includes(member.jvmRoute)) return member;
  throw new ConclaveError(
    "WIRE_ERR_IDENTITY",
    `A peer whose certificate names ${JSON.stringify(peer.commonName)} claims jvmRoute ${
      JSON.stringify(member.jvmRoute)
    }; expected them to match`,
  );
}
