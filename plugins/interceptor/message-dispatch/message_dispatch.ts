/**
 * Tomcat's `MessageDispatchInterceptor`: asynchronous sends through a bounded queue.
 *
 * @module
 */
import type { Logger } from "../../../src/interfaces/logger.ts";
import type { Member } from "../../../src/interfaces/member.ts";
import { type ChannelMessage, SendOptions, StartOptions } from "../../../src/interfaces/message.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { InterceptorBase } from "../../../src/kernel/interceptor_base.ts";
import { SendError } from "../../../src/kernel/send_error.ts";

export interface MessageDispatchInit {
  /** Bytes of payload that may wait in the queue or be in flight. @default 67108864 */
  maxQueueSize: number;
  /**
   * When the queue is full: true waits for room (the caller's promise resolves once the message
   * is queued), false rejects with CHANNEL_ERR_QUEUE_FULL. @default true
   */
  alwaysSend: boolean;
  logger: Logger;
}

interface Queued {
  destinations: readonly Member[];
  message: ChannelMessage;
}

interface Waiter extends Queued {
  admit: () => void;
}

/**
 * Messages with the ASYNCHRONOUS bit are queued and the send resolves at once; a drain loop hands
 * them to the layer below in the order queued, so order between two nodes is kept. Failures of
 * queued sends cannot reach the caller: they are counted in `stats.failed` and logged at warn
 * (Tomcat logs them at debug only).
 */
export class MessageDispatchInterceptor extends InterceptorBase {
  #init: MessageDispatchInit;
  #queue: Queued[] = [];
  #waiters: Waiter[] = [];
  #bytes = 0;
  #inFlight = new Set<Promise<void>>();
  #draining = false;
  readonly stats = { queued: 0, sent: 0, failed: 0 };

  constructor(init: MessageDispatchInit) {
    super({ optionFlag: SendOptions.ASYNCHRONOUS });
    this.#init = init;
  }

  /** Payload bytes queued or in flight. */
  get queuedBytes(): number {
    return this.#bytes;
  }

  override sendMessage(destinations: readonly Member[], message: ChannelMessage): Promise<void> {
    if (!this.okToProcess(message.options)) return this.next.sendMessage(destinations, message);
    const size = message.payload.length;
    if (this.#fits(size)) {
      this.#enqueue(destinations, message);
      return Promise.resolve();
    }
    if (!this.#init.alwaysSend) {
      return Promise.reject(
        new ConclaveError(
          "CHANNEL_ERR_QUEUE_FULL",
          `Cannot queue a ${size}-byte message: ${this.#bytes} of ${this.#init.maxQueueSize} bytes in use`,
        ),
      );
    }
    // Queued by #admitWaiters, in arrival order, once there is room.
    return new Promise<void>((admit) => this.#waiters.push({ destinations, message, admit }));
  }

  /** Flushes the queue before the sender below stops. */
  override async stop(svc: number): Promise<void> {
    if ((svc & StartOptions.SND_TX_SEQ) !== 0) await this.flush();
    await super.stop(svc);
  }

  /** Resolves when every queued message has been handed down and settled. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight.size > 0 || this.#waiters.length > 0) {
      await Promise.allSettled([...this.#inFlight]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #fits(size: number): boolean {
    // An oversized message still goes alone through an empty queue rather than never.
    return this.#waiters.length === 0 &&
      (this.#bytes + size <= this.#init.maxQueueSize || this.#bytes === 0);
  }

  #enqueue(destinations: readonly Member[], message: ChannelMessage): void {
    this.#bytes += message.payload.length;
    this.#queue.push({ destinations, message });
    this.stats.queued++;
    if (!this.#draining) this.#drain();
  }

  /**
   * Hands the queue down at once, not in a later microtask: the frames then reach the writers
   * within the caller's turn (a bundle's turn-end pass), before the caller's HTTP response.
   */
  #drain(): void {
    this.#draining = true; // a send made by a layer below while this runs joins this loop
    try {
      for (let item = this.#queue.shift(); item; item = this.#queue.shift()) this.#handDown(item);
    } finally {
      this.#draining = false;
    }
  }

  #handDown({ destinations, message }: Queued): void {
    let below: Promise<void>;
    try {
      below = this.next.sendMessage(destinations, message);
    } catch (err) {
      below = Promise.reject(err); // a layer that threw instead of rejecting
    }
    const sent: Promise<void> = below.then(
      () => {
        this.stats.sent++;
      },
      (err: unknown) => {
        this.stats.failed++;
        const members = err instanceof SendError ? err.faultyMembers.map((f) => f.member.name) : [];
        this.#init.logger.warn({ err, members }, "Asynchronous send failed");
      },
    ).finally(() => {
      this.#inFlight.delete(sent);
      this.#bytes -= message.payload.length;
      this.#admitWaiters();
    });
    this.#inFlight.add(sent);
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters[0];
      const size = waiter.message.payload.length;
      if (this.#bytes + size > this.#init.maxQueueSize && this.#bytes !== 0) return;
      this.#waiters.shift();
      this.#enqueue(waiter.destinations, waiter.message);
      waiter.admit();
    }
  }
}
