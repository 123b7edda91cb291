/**
 * One connection from this node's transport to a member's receiver.
 *
 * Sends are pipelined: each MSG carries a sequence number and waits for its ACK or FAIL while
 * later ones go out, so order holds (one connection, frames in send order) without a round trip
 * per message.
 *
 * @module
 */
import type { Cancel, Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { Member } from "../interfaces/member.ts";
import { type ChannelMessage, SendOptions } from "../interfaces/message.ts";
import { ConclaveError, type ErrorCode } from "../errors.ts";
import type { StreamSocket } from "../runtime/sockets.ts";
import { decodeHeader, encodeMessageHeader, type Envelope, FrameType } from "./envelope.ts";
import { frameBodySize, FrameDecoder } from "./frame.ts";
import { FrameWriter } from "./writer.ts";

export interface OutboundOptions {
  clock: Clock;
  logger: Logger;
  /** Ack wait and stall bound, ms (the transport's `timeout`). */
  timeout: number;
  maxFrameSize: number;
  /** Above this many queued bytes, sends wait for the socket to drain. */
  maxQueuedBytes: number;
  /** `byPeer`: the peer closed or reset it, or stopped reading; not this node. */
  onClose: (connection: OutboundConnection, reason: Error, byPeer: boolean) => void;
}

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
  deadline: number;
}

/** A send that failed before any of its bytes reached the socket: safe to retry elsewhere. */
export class UnsentError extends ConclaveError {
  constructor(code: ErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = "UnsentError";
  }
}

export class OutboundConnection {
  readonly member: Member;
  readonly openedAt: number;
  /** Sends made over this connection, for `keepAliveCount`. */
  requests = 0;
  #socket: StreamSocket;
  #options: OutboundOptions;
  #writer: FrameWriter;
  #decoder: FrameDecoder;
  #seq = 0;
  #pending = new Map<number, Pending>();
  #timer: Cancel | undefined;
  #lastAddress: Member | undefined;
  #closed: Error | undefined;

  constructor(member: Member, socket: StreamSocket, options: OutboundOptions) {
    this.member = member;
    this.#socket = socket;
    this.#options = options;
    this.openedAt = options.clock.now();
    this.#writer = new FrameWriter(socket, {
      clock: options.clock,
      stallTimeout: options.timeout,
      onStall: () =>
        this.#closeBy(
          true,
          new ConclaveError(
            "SEND_ERR_PEER_NOT_READING",
            `${member.name} read nothing for ${options.timeout} ms with ${this.#writer.queuedBytes} bytes waiting; connection cut`,
          ),
        ),
    });
    this.#decoder = new FrameDecoder(options.maxFrameSize, (header) => this.#onFrame(header));
    socket.onData((chunk) => {
      try {
        this.#decoder.push(chunk);
      } catch (error) {
        this.#options.logger.warn({
          member: member.name,
          code: (error as ConclaveError).code,
          err: error,
        }, "Bad frame from a member; connection closed");
        this.close(error as Error);
      }
    });
    socket.onClose((error) => {
      const refused = /SSL|TLS|CERT/.test((error as { code?: string } | undefined)?.code ?? "");
      this.#closeBy(
        true,
        new ConclaveError(
          refused ? "TLS_ERR_REFUSED" : "SEND_ERR_CONNECTION_LOST",
          `Connection to ${member.name} closed${error ? `: ${error.message}` : ""}`,
          { cause: error },
        ),
      );
    });
  }

  /** True until the connection closes. */
  get open(): boolean {
    return this.#closed === undefined;
  }

  /** Why it closed, once it has. */
  get closedBy(): Error | undefined {
    return this.#closed;
  }

  /** Sends awaiting an ACK. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Sends one message. Resolves when it is written (no ack), read (USE_ACK) or processed
   * (USE_ACK|SYNCHRONIZED_ACK). Rejects with an `UnsentError` when nothing was written.
   */
  send(message: ChannelMessage): Promise<void> {
    if (this.#closed) return Promise.reject(this.#unsent());
    if (this.#writer.queuedBytes > this.#options.maxQueuedBytes) {
      return this.#waitForRoom().then(() => this.#write(message));
    }
    // No async function: the common send makes one promise, not three.
    return this.#write(message);
  }

  #write(message: ChannelMessage): Promise<void> {
    const seq = ++this.#seq;
    this.requests++;
    const member = message.address === this.#lastAddress ? undefined : message.address;
    let header: Uint8Array;
    try {
      header = encodeMessageHeader(
        seq,
        message.options,
        message.timestamp,
        message.uniqueId,
        member,
      );
    } catch (error) {
      return Promise.reject(error);
    }
    const { payload } = message;
    if (frameBodySize(header.length, payload.length) > this.#options.maxFrameSize) {
      return Promise.reject(
        new UnsentError(
          "WIRE_ERR_FRAME_TOO_LARGE",
          `A ${payload.length}-byte message exceeds maxFrameSize = ${this.#options.maxFrameSize}`,
        ),
      );
    }
    this.#lastAddress = message.address;
    const acked = (message.options & SendOptions.USE_ACK) !== 0;
    return new Promise<void>((resolve, reject) => {
      if (acked) {
        this.#pending.set(seq, {
          resolve,
          reject,
          deadline: this.#options.clock.now() + this.#options.timeout,
        });
        this.#armTimer();
        this.#writer.writeFrame(header, payload);
      } else {
        this.#writer.writeFrame(header, payload, (error) => {
          if (!error) resolve();
          else {
            reject(
              this.#closed ??
                new ConclaveError(
                  "SEND_ERR_CONNECTION_LOST",
                  `Cannot write to ${this.member.name}: ${error.message}`,
                  { cause: error },
                ),
            );
          }
        });
      }
    });
  }

  /** Closes the connection and fails every send still waiting. */
  close(reason?: Error): void {
    this.#closeBy(false, reason);
  }

  #closeBy(byPeer: boolean, reason?: Error): void {
    if (this.#closed) return;
    const error = reason ??
      new ConclaveError("SEND_ERR_CONNECTION_LOST", `Connection to ${this.member.name} closed`);
    this.#closed = error;
    this.#timer?.();
    this.#writer.close(error);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#socket.destroy();
    this.#options.onClose(this, error, byPeer);
  }

  /** Waits while the queue is over its bound; the stall timer bounds the wait (`timeout`). */
  async #waitForRoom(): Promise<void> {
    while (!this.#closed && this.#writer.queuedBytes > this.#options.maxQueuedBytes) {
      await this.#writer.drained();
    }
    if (this.#closed) throw this.#unsent();
  }

  /** The close reason as seen by a send that was never written: retryable unless the peer stalled. */
  #unsent(): Error {
    const closed = this.#closed as Error;
    if (closed instanceof ConclaveError && closed.code === "SEND_ERR_PEER_NOT_READING") {
      return closed;
    }
    return new UnsentError("SEND_ERR_CONNECTION_LOST", closed.message, closed);
  }

  #onFrame(headerBytes: Uint8Array): void {
    const header: Envelope = decodeHeader(headerBytes);
    if (header.type === FrameType.VERSION) {
      throw new ConclaveError(
        "WIRE_ERR_VERSION",
        `${this.member.name} reads envelope versions ${
          header.versions.join(", ")
        }, not this node's`,
      );
    }
    if (header.type !== FrameType.ACK && header.type !== FrameType.FAIL) {
      throw new ConclaveError(
        "WIRE_ERR_MALFORMED",
        `Bad envelope: a receiver sent frame type ${header.type}; expected ACK or FAIL`,
      );
    }
    const pending = this.#pending.get(header.seq);
    if (!pending) return; // timed out already
    this.#pending.delete(header.seq);
    if (header.type === FrameType.ACK) pending.resolve();
    else {
      pending.reject(
        new ConclaveError(
          "SEND_ERR_REMOTE_PROCESSING",
          `${this.member.name} failed to process the message: ${header.code}: ${header.message}`,
        ),
      );
    }
  }

  /** One timer for all pending acks, set for the oldest deadline (sends are in deadline order). */
  #armTimer(): void {
    if (this.#timer || this.#pending.size === 0) return;
    const oldest = this.#pending.values().next().value as Pending;
    const wait = Math.max(0, oldest.deadline - this.#options.clock.now());
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      const now = this.#options.clock.now();
      for (const [seq, pending] of this.#pending) {
        if (pending.deadline > now) break;
        this.#pending.delete(seq);
        pending.reject(
          new ConclaveError(
            "SEND_ERR_TIMEOUT",
            `${this.member.name} did not acknowledge within ${this.#options.timeout} ms`,
          ),
        );
      }
      this.#armTimer();
    }, wait);
  }
}
