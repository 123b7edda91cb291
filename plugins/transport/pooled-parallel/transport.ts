/**
 * `PooledParallelSender`: sends to every destination in parallel over kept-alive connections.
 *
 * One connection per member carries all sends to it, pipelined, so messages from this node to a
 * member arrive in the order sent. `poolSize` bounds the sends in flight at once, as Tomcat's pool
 * of senders does; a send that finds the pool full waits up to `maxWait` for a turn, in order.
 *
 * @module
 */
import type { Member } from "../../../src/interfaces/member.ts";
import type { ChannelMessage } from "../../../src/interfaces/message.ts";
import type { Sender } from "../../../src/interfaces/transport.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { SendError, sendToEach } from "../../../src/kernel/send_error.ts";
import type { ConnectionSettings } from "../../../src/kernel/tls.ts";
import type { TlsMaterial } from "../../../src/runtime/sockets.ts";
import { OutboundConnection, UnsentError } from "../../../src/wire/outbound.ts";
import {
  type ChannelSecurity,
  channelSecurity,
  dialSecure,
} from "../../../src/wire/secure/channel_security.ts";

export interface PooledParallelSenderOptions extends ConnectionSettings {
  poolSize: number;
  maxWait: number;
  keepAliveCount: number;
  keepAliveTime: number;
  maxRetryAttempts: number;
  maxQueuedBytes: number;
}

export class PooledParallelSender implements Sender {
  #options: PooledParallelSenderOptions;
  #started = false;
  #connections = new Map<string, Promise<OutboundConnection>>();
  /**
   * Connections already open, by the same key: the common send reaches the socket without
   * awaiting a promise, so its frame joins the flush of the turn it was sent in. (Keyed by the
   * member's key, not its record: membership hands out a new record with every heartbeat.)
   */
  #open = new Map<string, OutboundConnection>();
  #inFlight = 0;
  #waiting: { go: () => void; fail: (error: Error) => void }[] = [];
  #connectionListener: ((member: Member, cause: Error) => void) | undefined;
  #security: ChannelSecurity | undefined;

  constructor(options: PooledParallelSenderOptions) {
    this.#options = options;
  }

  /** Connections open or opening, for statistics and tests. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** TLS for outgoing connections, when the sender slot (not this transport) names it. */
  setTls(tls: TlsMaterial): void {
    this.#options = { ...this.#options, tls };
  }

  get hasTls(): boolean {
    return this.#options.tls !== undefined;
  }

  get presentsCertificate(): boolean {
    return this.hasTls;
  }

  start(): Promise<void> {
    if (!this.#started) {
      const { secret, localId, clock } = this.#options;
      try {
        this.#security = secret ? channelSecurity(secret, localId, clock) : undefined;
      } catch (error) {
        return Promise.reject(error);
      }
      this.#started = true;
      if (!this.#options.tls && !this.#security) {
        this.#options.logger.info("Sender without TLS or secret: messages travel in clear text");
      }
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    const stopped = new ConclaveError("CHANNEL_ERR_NOT_STARTED", "The sender stopped");
    for (const waiter of this.#waiting.splice(0)) waiter.fail(stopped);
    const all = [...this.#connections.values()];
    this.#connections.clear();
    this.#open.clear();
    for (const pending of all) pending.then((c) => c.close(stopped), () => {});
    await Promise.allSettled(all);
  }

  sendMessage(message: ChannelMessage, destinations: readonly Member[]): Promise<void> {
    if (
      this.#started && destinations.length === 1 && this.#inFlight < this.#options.poolSize &&
      this.#waiting.length === 0
    ) {
      const member = destinations[0];
      const open = this.#open.get(keyOf(member));
      if (open?.open) {
        // The common send (a free slot, an open connection) without async functions: one
        // promise less per layer, the same outcome as `#sendMessage`.
        this.#inFlight++;
        return open.send(message).then(
          this.#release,
          (error) => this.#retryFirst(member, message, error),
        );
      }
    }
    return this.#sendMessage(message, destinations);
  }

  #release = (): void => this.#releaseSlot();

  /** The common send failed on its open connection: what `#sendTo` does after attempt 0. */
  async #retryFirst(member: Member, message: ChannelMessage, error: unknown): Promise<void> {
    try {
      if (!this.#retry(member, error, 0)) throw error;
      await this.#sendTo(member, message, 1);
    } catch (error) {
      throw new SendError([{
        member,
        error: error instanceof Error ? error : new Error(String(error)),
      }]);
    } finally {
      this.#releaseSlot();
    }
  }

  async #sendMessage(message: ChannelMessage, destinations: readonly Member[]): Promise<void> {
    if (!this.#started) {
      throw new ConclaveError("CHANNEL_ERR_NOT_STARTED", "Cannot send: the sender is stopped");
    }
    if (this.#inFlight < this.#options.poolSize && this.#waiting.length === 0) {
      this.#inFlight++; // a free slot: no await
    } else {
      try {
        await this.#takeSlot();
      } catch (error) {
        // Tomcat's "unable to retrieve sender": every destination is faulty.
        throw new SendError(destinations.map((member) => ({ member, error: error as Error })));
      }
    }
    try {
      if (destinations.length === 1) {
        const member = destinations[0];
        try {
          await this.#sendTo(member, message);
        } catch (error) {
          throw new SendError([{
            member,
            error: error instanceof Error ? error : new Error(String(error)),
          }]);
        }
      } else {
        await sendToEach(destinations, (member) => this.#sendTo(member, message));
      }
    } finally {
      this.#releaseSlot();
    }
  }

  setConnectionListener(listener: (member: Member, cause: Error) => void): void {
    this.#connectionListener = listener;
  }

  /** Closes connections past `keepAliveCount` requests or `keepAliveTime` ms, once idle. */
  heartbeat(): void {
    const { keepAliveCount, keepAliveTime, clock } = this.#options;
    const now = clock.now();
    for (const [key, pending] of this.#connections) {
      pending.then((connection) => {
        const tooMany = keepAliveCount >= 0 && connection.requests >= keepAliveCount;
        const tooOld = keepAliveTime >= 0 && now - connection.openedAt >= keepAliveTime;
        if ((tooMany || tooOld) && connection.inFlight === 0) {
          if (this.#connections.get(key) === pending) this.#connections.delete(key);
          connection.close();
        }
      }, () => {});
    }
  }

  memberDisappeared(member: Member): void {
    const key = keyOf(member);
    const pending = this.#connections.get(key);
    if (!pending) return;
    this.#connections.delete(key);
    this.#open.delete(key);
    pending.then((c) => c.close(), () => {});
  }

  async #sendTo(member: Member, message: ChannelMessage, first = 0): Promise<void> {
    for (let attempt = first;; attempt++) {
      try {
        const open = attempt === 0 ? this.#open.get(keyOf(member)) : undefined;
        const connection = open?.open ? open : await this.#connection(member);
        return await connection.send(message);
      } catch (error) {
        if (!this.#retry(member, error, attempt)) throw error;
      }
    }
  }

  /** Whether a failed attempt is retried (and says so at debug). */
  #retry(member: Member, error: unknown, attempt: number): boolean {
    // Retry only what never reached a socket: a resend of a written frame could be a duplicate.
    const retry = error instanceof UnsentError && error.code !== "WIRE_ERR_FRAME_TOO_LARGE" &&
      attempt < this.#options.maxRetryAttempts && this.#started;
    if (retry) {
      this.#options.logger.debug({
        member: member.name,
        attempt: attempt + 1,
        err: (error as Error).message,
      }, "Retrying a send on a new connection");
    }
    return retry;
  }

  #connection(member: Member): Promise<OutboundConnection> {
    const key = keyOf(member);
    const existing = this.#connections.get(key);
    if (existing) return existing;
    const { sockets, tls, timeout, clock, logger, maxFrameSize, maxQueuedBytes } = this.#options;
    const security = this.#security;
    const opening = sockets.connect({
      host: member.host,
      port: member.port,
      tls,
      timeoutMs: timeout,
    })
      // With a secret nothing is sent before the member proves it holds it, and its id.
      .then((socket) => security ? dialSecure(socket, security, member.id, timeout) : socket)
      .then((socket) =>
        new OutboundConnection(member, socket, {
          clock,
          logger,
          timeout,
          maxFrameSize,
          maxQueuedBytes,
          onClose: (connection, reason, byPeer) => {
            if (this.#connections.get(key) === opening) this.#connections.delete(key);
            if (this.#open.get(key) === connection) this.#open.delete(key);
            if (byPeer && this.#started) this.#connectionListener?.(member, reason);
          },
        })
      )
      .catch((cause: Error) => {
        if (this.#connections.get(key) === opening) this.#connections.delete(key);
        // A refused connect is news for a failure detector too (a member that died quietly).
        if (this.#started) this.#connectionListener?.(member, cause);
        throw new UnsentError(
          cause instanceof ConclaveError ? cause.code : "SEND_ERR_UNREACHABLE",
          `Cannot connect to ${member.name}: ${cause.message}`,
          cause,
        );
      });
    this.#connections.set(key, opening);
    opening.then((c) => {
      if (c.open && this.#connections.get(key) === opening) this.#open.set(key, c);
    }, () => {});
    return opening;
  }

  #takeSlot(): Promise<void> {
    if (this.#inFlight < this.#options.poolSize && this.#waiting.length === 0) {
      this.#inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timeout = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at < 0) return;
        this.#waiting.splice(at, 1);
        reject(
          new ConclaveError(
            "SEND_ERR_TIMEOUT",
            `All ${this.#options.poolSize} senders stayed busy for maxWait = ${this.#options.maxWait} ms`,
          ),
        );
      };
      const cancel = this.#options.clock.setTimeout(timeout, this.#options.maxWait);
      const waiter = {
        go: () => {
          cancel();
          this.#inFlight++;
          resolve();
        },
        fail: (error: Error) => {
          cancel();
          reject(error);
        },
      };
      this.#waiting.push(waiter);
    });
  }

  #releaseSlot(): void {
    this.#inFlight--;
    const next = this.#waiting.shift();
    if (next) next.go();
  }
}

const KEYS = new WeakMap<Member, string>();

/** Connections are per member: a restarted node on the same port is a new member. */
function keyOf(member: Member): string {
  let key = KEYS.get(member); // one string per member record, not one per send
  if (key === undefined) {
    key = `${member.id.hex}@${member.host}:${member.port}`;
    KEYS.set(member, key);
  }
  return key;
}
