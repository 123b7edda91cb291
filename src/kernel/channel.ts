/**
 * Tomcat's `GroupChannel`: the top of the interceptor stack and the application's handle on it.
 *
 * @module
 */
import type { Cancel, Clock } from "../interfaces/clock.ts";
import type { Interceptor } from "../interfaces/interceptor.ts";
import { INTERCEPTOR_LINK } from "../interfaces/interceptor.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { DepartureReason, Member, MembershipListener } from "../interfaces/member.ts";
import { type ChannelMessage, SendOptions, StartOptions } from "../interfaces/message.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { decodeValue, encodeValue } from "./codec.ts";
import { ConclaveError } from "../errors.ts";
import { InterceptorBase } from "./interceptor_base.ts";
import { RateLimitedLog } from "./rate_limited_log.ts";

/** Receives application messages. `accept` (default: all) filters before `messageReceived`. */
export interface ChannelListener {
  accept?(message: unknown, sender: Member): boolean;
  /** A rejection travels back to a synchronized-ack sender as a fail-ack. */
  messageReceived(message: unknown, sender: Member): void | Promise<void>;
}

/** What a channel is made of. */
export interface GroupChannelInit {
  /** The configured interceptors, top (application side) first. */
  interceptors: readonly Interceptor[];
  /** The bottom layer. */
  coordinator: Interceptor;
  logger: Logger;
  clock: Clock;
  /** Names of the interceptors, for conflict messages. @default their constructor names */
  interceptorNames?: readonly string[];
  /** Run `heartbeat()` down the stack periodically. @default true */
  heartbeat?: boolean;
  /** Heartbeat period in ms. @default 5000 */
  heartbeatSleeptime?: number;
  /** Reject overlapping `optionFlag`s at start. @default true */
  optionCheck?: boolean;
}

/** Counters the channel keeps (exported as metrics by the admin surface). */
export interface ChannelStats {
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  sendFailures: number;
  decodeFailures: number;
  /** Sum and count of (receive time - send time) of received messages, ms: replication lag. */
  lagMsTotal: number;
  lagSamples: number;
  /** The largest lag seen, ms. */
  lagMsMax: number;
}

/**
 * The channel: sends travel down the interceptors to the coordinator; received messages and
 * membership events travel up to the listeners registered here.
 *
 * @example
 * ```ts
 * channel.addChannelListener({ messageReceived: (msg, from) => console.log(from.name, msg) });
 * await channel.start();
 * await channel.send(channel.getMembers(), { hello: "world" }, SendOptions.USE_ACK);
 * ```
 */
export class GroupChannel extends InterceptorBase {
  #stack: readonly Interceptor[];
  #names: readonly string[];
  #log: Logger;
  /** Undecodable payloads: counted, logged at most once per code per 10 s (a peer can flood). */
  #undecodable: RateLimitedLog;
  #clock: Clock;
  #heartbeat: boolean;
  #heartbeatSleeptime: number;
  #optionCheck: boolean;
  #started = 0;
  #stopHeartbeat: Cancel | undefined;
  #channelListeners: ChannelListener[] = [];
  #membershipListeners: MembershipListener[] = [];
  readonly stats: ChannelStats = {
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    sendFailures: 0,
    decodeFailures: 0,
    lagMsTotal: 0,
    lagSamples: 0,
    lagMsMax: 0,
  };

  constructor(init: GroupChannelInit) {
    super();
    this.#stack = [...init.interceptors, init.coordinator];
    this.#names = init.interceptorNames ?? init.interceptors.map((i) => i.constructor.name);
    this.#log = init.logger;
    this.#clock = init.clock;
    this.#undecodable = new RateLimitedLog(init.logger, init.clock, "Message payload dropped");
    this.#heartbeat = init.heartbeat ?? true;
    this.#heartbeatSleeptime = init.heartbeatSleeptime ?? 5000;
    this.#optionCheck = init.optionCheck ?? true;
    const layers: Interceptor[] = [this, ...this.#stack];
    layers.forEach((layer, i) => layer[INTERCEPTOR_LINK](layers[i + 1], layers[i - 1]));
  }

  /** The bits of `channelStartOptions` currently started. */
  get started(): number {
    return this.#started;
  }

  /** Starts the parts named by `svc` (default all); parts already started are left alone. */
  override async start(svc: number = StartOptions.DEFAULT): Promise<void> {
    const todo = svc & StartOptions.DEFAULT & ~this.#started;
    if (todo === 0) return;
    if (this.#optionCheck) this.#checkOptionFlags();
    await this.next.start(todo);
    this.#started |= todo;
    if (this.#heartbeat && !this.#stopHeartbeat) {
      this.#stopHeartbeat = this.#clock.setInterval(
        () => this.heartbeat(),
        this.#heartbeatSleeptime,
      );
    }
  }

  /** Stops the parts named by `svc` (default all), in reverse start order. */
  override async stop(svc: number = StartOptions.DEFAULT): Promise<void> {
    const todo = svc & this.#started;
    if (todo === 0) return;
    this.#started &= ~todo;
    if (this.#started === 0) {
      this.#stopHeartbeat?.();
      this.#stopHeartbeat = undefined;
    }
    await this.next.stop(todo);
  }

  /**
   * Sends a value to members. A `Uint8Array` travels as raw bytes; anything else is CBOR-encoded.
   * Resolves per `options`: queued (ASYNCHRONOUS), written (no ack), read (USE_ACK) or processed
   * (USE_ACK|SYNCHRONIZED_ACK). Rejects with a SendError naming each member not reached.
   *
   * @returns the message's unique id
   */
  async send(destinations: readonly Member[], value: unknown, options: number): Promise<UniqueId> {
    if (destinations.length === 0) {
      throw new ConclaveError("CHANNEL_ERR_NO_DESTINATION", "Cannot send a message to no member");
    }
    if (this.#started === 0) {
      throw new ConclaveError("CHANNEL_ERR_NOT_STARTED", "Cannot send: the channel is not started");
    }
    const bytes = value instanceof Uint8Array;
    const payload = bytes ? value : encodeValue(value);
    const message: ChannelMessage = {
      options: bytes ? options | SendOptions.BYTE_MESSAGE : options & ~SendOptions.BYTE_MESSAGE,
      timestamp: this.#clock.now(),
      uniqueId: UniqueId.random(),
      address: this.getLocalMember(),
      payload,
    };
    try {
      await this.next.sendMessage(destinations, message);
    } catch (err) {
      this.stats.sendFailures++;
      throw err;
    }
    this.stats.messagesSent++;
    this.stats.bytesSent += payload.length * destinations.length;
    return message.uniqueId;
  }

  /**
   * Top of the receive path: decodes the payload and offers it to every accepting listener, one
   * after the other. No async function: a message costs no promise here when its listeners
   * answer synchronously, and one promise less per awaited listener otherwise.
   */
  override messageReceived(message: ChannelMessage): Promise<void> {
    this.stats.messagesReceived++;
    this.stats.bytesReceived += message.payload.length;
    // Sender and receiver clocks agree on one host and roughly (NTP) across hosts.
    const lag = Math.max(0, this.#clock.now() - message.timestamp);
    this.stats.lagMsTotal += lag;
    this.stats.lagSamples++;
    if (lag > this.stats.lagMsMax) this.stats.lagMsMax = lag;
    let value: unknown;
    if ((message.options & SendOptions.BYTE_MESSAGE) !== 0) {
      value = message.payload;
    } else {
      try {
        value = decodeValue(message.payload);
      } catch (err) {
        this.stats.decodeFailures++;
        this.#undecodable.report(err, { member: message.address.name });
        return Promise.reject(err);
      }
    }
    if (this.#log.isLevelEnabled("trace")) {
      this.#log.trace(
        { member: message.address.name, bytes: message.payload.length },
        "Message received",
      );
    }
    return offer(this.#channelListeners, 0, value, message.address);
  }

  override memberAdded(member: Member): void {
    this.#log.info({ member: member.name, jvmRoute: member.jvmRoute }, "Member added");
    for (const listener of this.#membershipListeners) listener.memberAdded(member);
  }

  override memberDisappeared(member: Member, reason: DepartureReason): void {
    this.#log.info(
      { member: member.name, jvmRoute: member.jvmRoute, reason },
      "Member disappeared",
    );
    for (const listener of this.#membershipListeners) listener.memberDisappeared(member, reason);
  }

  /** The top of the stack: a suspicion no failure detector acted on is only logged. */
  override memberSuspected(member: Member, cause: Error): void {
    this.#log.debug({ member: member.name, err: cause.message }, "Connection to a member lost");
  }

  override heartbeat(): void {
    try {
      this.next.heartbeat();
    } catch (err) {
      this.#log.error({ err }, "Heartbeat failed");
    }
  }

  addChannelListener(listener: ChannelListener): void {
    if (!this.#channelListeners.includes(listener)) this.#channelListeners.push(listener);
  }

  removeChannelListener(listener: ChannelListener): void {
    this.#channelListeners = this.#channelListeners.filter((l) => l !== listener);
  }

  addMembershipListener(listener: MembershipListener): void {
    if (!this.#membershipListeners.includes(listener)) this.#membershipListeners.push(listener);
  }

  removeMembershipListener(listener: MembershipListener): void {
    this.#membershipListeners = this.#membershipListeners.filter((l) => l !== listener);
  }

  /** Tomcat's `checkOptionFlags`: two layers whose non-zero flags share a bit conflict. */
  #checkOptionFlags(): void {
    const layers = this.#stack.slice(0, -1);
    for (let i = 0; i < layers.length; i++) {
      for (let j = i + 1; j < layers.length; j++) {
        const a = layers[i].optionFlag;
        const b = layers[j].optionFlag;
        if (a !== 0 && b !== 0 && (a & b) !== 0) {
          throw new ConclaveError(
            "CHANNEL_ERR_OPTION_FLAG_CONFLICT",
            `Cannot start the channel: interceptors "${this.#names[i]}" (optionFlag ${a}) and ` +
              `"${this.#names[j]}" (optionFlag ${b}) claim the same bits ${a & b}`,
          );
        }
      }
    }
  }
}

const DONE: Promise<void> = Promise.resolve();

/**
 * Offers `value` to `listeners` from index `from` on, awaiting each listener that returns a
 * promise before the next; a listener's throw or rejection rejects the result.
 */
function offer(
  listeners: readonly ChannelListener[],
  from: number,
  value: unknown,
  sender: Member,
): Promise<void> {
  try {
    for (let i = from; i < listeners.length; i++) {
      const listener = listeners[i];
      if (listener.accept && !listener.accept(value, sender)) continue;
      const result = listener.messageReceived(value, sender);
      if (result !== undefined && typeof result.then === "function") {
        if (i + 1 < listeners.length) {
          return result.then(() => offer(listeners, i + 1, value, sender));
        }
        return result instanceof Promise ? result : Promise.resolve(result).then(ignore);
      }
    }
  } catch (err) {
    return Promise.reject(err);
  }
  return DONE;
}

function ignore(): void {}
