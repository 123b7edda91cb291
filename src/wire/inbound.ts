/**
 * One connection accepted by a receiver: frames in, ACK and FAIL frames out.
 *
 * Messages are handed to the handler one at a time, in arrival order: the next waits until the
 * previous one's processing settled. That is what makes "in the order sent" hold for listeners
 * that await, and it bounds the work one peer can pile up (reading pauses when the queue is long).
 *
 * What a peer can hold is bounded: its bytes count against the receiver's shared budget (reading
 * pauses while the budget is spent), and a connection that has not completed its first frame, or
 * a started frame, within `frameTimeout` is cut (slowloris). A connection that waited for the
 * budget gets a fresh deadline when it may read again.
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
import type { ByteBudget } from "./budget.ts";
import { encodeFrame, FrameDecoder } from "./frame.ts";
import { FrameWriter } from "./writer.ts";

/** Pause reading above this many unprocessed messages; resume below the low mark. */
const HIGH_WATER = 1024;
const LOW_WATER = 256;
const EMPTY = new Uint8Array(0);

export interface InboundOptions {
  /** The member id the channel handshake proved; every message must name that member. */
  peerId?: UniqueId;
  clock: Clock;
  logger: Logger;
  maxFrameSize: number;
  /** How long a peer may leave our ACKs unread before it is cut off. */
  timeout: number;
  /** ms to the first complete frame, and from a frame's first bytes to its last. */
  frameTimeout: number;
  /** Bytes held across all connections of the receiver. */
  budget: ByteBudget;
  handler: MessageHandler;
  /** Reports the error that closes the connection (the receiver counts and logs it). */
  onError: (error: Error, fields: Record<string, unknown>) => void;
  onMessage: () => void;
  /** Reports a message whose processing failed when its sender asked for no synchronized ack. */
  onProcessingError: (error: unknown, fields: Record<string, unknown>) => void;
  /** The connection stopped reading until the budget has room. */
  onWait: () => void;
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
  #queuedBytes = 0;
  /** Bytes counted against the budget. */
  #held = 0;
  #pausedForQueue = false;
  #pausedForBudget = false;
  #socketPaused = false;
  /** A whole frame arrived on this connection. */
  #framed = false;
  #frameTimer: (() => void) | undefined;
  #wake = () => {
    this.#pausedForBudget = false;
    this.#stopTimer(); // the wait was not the peer's doing: its frame gets a fresh deadline
    this.#flow();
  };
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
      if (this.#closed) return;
      try {
        this.#decoder.push(chunk);
      } catch (error) {
        this.#fail(error as Error);
        return;
      }
      this.#account();
      const { budget } = options;
      if (budget.over && this.#held > budget.reserve && !this.#pausedForBudget && !this.#closed) {
        this.#pausedForBudget = true;
        budget.wait(this.#wake);
        options.onWait();
      }
      this.#flow();
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
    this.#flow(); // the clock to the first frame starts now
  }

  /** The member on the other end, once its first message named it. */
  get member(): Member | undefined {
    return this.#member;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.budget.cancel(this.#wake);
    this.#flow();
    this.#account();
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
    this.#framed = true;
    this.#stopTimer(); // the next frame gets its own time
    const { options, seq } = header;
    if ((options & SendOptions.USE_ACK) !== 0 && (options & SendOptions.SYNCHRONIZED_ACK) === 0) {
      this.#writer.writeFrame(encodeAckHeader(seq), EMPTY); // read: ack before processing
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
    this.#queuedBytes += payload.length;
    if (this.#queue.length >= HIGH_WATER && !this.#pausedForQueue) {
      this.#pausedForQueue = true;
      this.#flow();
    }
    if (!this.#draining) this.#drain();
  }

  /**
   * Hands queued messages to the handler one at a time. No async function: the message being
   * processed waits in `#current` and its outcome comes back through two bound callbacks, so
   * a message costs one promise here.
   */
  #drain(): void {
    this.#draining = true;
    while (this.#queue.length > 0) {
      const current = this.#queue.shift() as Queued;
      const { message } = current;
      this.#queuedBytes -= message.payload.length;
      this.#account();
      if (this.#pausedForQueue && this.#queue.length <= LOW_WATER) {
        this.#pausedForQueue = false;
        this.#flow();
      }
      let result: Promise<void> | void;
      try {
        result = this.#options.handler(message);
      } catch (error) {
        this.#failed(current, error);
        continue;
      }
      if (result !== undefined && typeof result.then === "function") {
        this.#current = current;
        result.then(this.#processed, this.#processingFailed);
        return;
      }
      this.#ackProcessed(current);
    }
    this.#draining = false;
  }

  #current: Queued | undefined;
  #processed = (): void => {
    this.#ackProcessed(this.#current as Queued);
    this.#current = undefined;
    this.#drain();
  };
  #processingFailed = (error: unknown): void => {
    this.#failed(this.#current as Queued, error);
    this.#current = undefined;
    this.#drain();
  };

  /** A synchronized-ack sender learns that its message was processed. */
  #ackProcessed({ message, seq }: Queued): void {
    if (isSync(message.options)) this.#writer.writeFrame(encodeAckHeader(seq), EMPTY);
  }

  #failed({ message, seq }: Queued, error: unknown): void {
    const code = error instanceof ConclaveError ? error.code : "ERROR";
    const text = error instanceof Error ? error.message : String(error);
    if (isSync(message.options)) {
      this.#writer.write([encodeFrame(encodeFailHeader(seq, code, text))]);
    } else {
      this.#options.onProcessingError(error, { member: message.address.name });
    }
  }

  #report(error: Error): void {
    this.#options.onError(error, { remote: this.remote, member: this.#member?.name });
  }

  /** Brings the budget up to what this connection holds now. */
  #account(): void {
    const held = (this.#closed ? 0 : this.#decoder.pending) + this.#queuedBytes;
    const before = this.#held;
    this.#held = held;
    if (held !== before) this.#options.budget.change(before, held);
  }

  /** Pauses or resumes the socket for the reasons that hold, and runs the frame clock to match. */
  #flow(): void {
    const pause = !this.#closed && (this.#pausedForQueue || this.#pausedForBudget);
    if (pause !== this.#socketPaused) {
      this.#socketPaused = pause;
      if (pause) this.#socket.pause();
      else if (!this.#closed) this.#socket.resume();
    }
    const waitingForPeer = !this.#framed || this.#decoder.pending > 0;
    // Waiting for the budget keeps the clock running: every byte held has a deadline, so the
    // budget always frees up; waiting for our own handler stops it.
    if (this.#closed || this.#pausedForQueue || !waitingForPeer) this.#stopTimer();
    else if (!this.#frameTimer) {
      const { clock, frameTimeout } = this.#options;
      this.#frameTimer = clock.setTimeout(() => {
        this.#frameTimer = undefined;
        this.#fail(
          new ConclaveError(
            "WIRE_ERR_FRAME_TIMEOUT",
            this.#framed
              ? `A frame from ${this.remote} was not complete ${frameTimeout} ms after its first bytes (${this.#decoder.pending} bytes held); expected it within frameTimeout`
              : `No complete frame from ${this.remote} within ${frameTimeout} ms of connecting; expected one within frameTimeout`,
          ),
        );
      }, frameTimeout);
    }
  }

  #stopTimer(): void {
    this.#frameTimer?.();
    this.#frameTimer = undefined;
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#report(error);
    this.close(); // messages read whole before the bad frame stay queued and are still processed
  }
}

function isSync(options: number): boolean {
  return (options & (SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK)) ===
    (SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK);
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
