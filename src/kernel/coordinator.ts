/**
 * Tomcat's `ChannelCoordinator`: the bottom of the stack, owning receiver, sender and membership.
 *
 * @module
 */
import type { Logger } from "../interfaces/logger.ts";
import type { Member } from "../interfaces/member.ts";
import type { Membership } from "../interfaces/membership.ts";
import { type ChannelMessage, SendOptions, StartOptions } from "../interfaces/message.ts";
import type { Receiver, Sender } from "../interfaces/transport.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { ConclaveError } from "../errors.ts";
import { InterceptorBase } from "./interceptor_base.ts";

/** The coordinator's parts, in start order. */
export interface CoordinatorParts {
  receiver: Receiver;
  sender: Sender;
  membership: Membership;
}

/** How the coordinator treats senders. */
export interface CoordinatorOptions {
  /**
   * The channel proves who sends (a membership secret, or mutual TLS): messages from anyone not
   * a current member are dropped and counted. @default false
   */
  authenticated?: boolean;
  /** For the rate limit of the drop warning. @default Date.now */
  now?: () => number;
}

/** At most one warning per this many ms about messages from non-members; the rest are counted. */
const DROP_LOG_INTERVAL = 10_000;

interface Step {
  bit: number;
  name: string;
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * Starts receiver, sender, membership receive and membership transmit in that order (each only
 * when its `channelStartOptions` bit is asked for) and stops them in reverse. The receiver starts
 * first because the local member advertises the port it bound.
 */
export class ChannelCoordinator extends InterceptorBase {
  #parts: CoordinatorParts;
  #log: Logger;
  #started = 0;
  #steps: Step[];
  #authenticated: boolean;
  #now: () => number;
  #lastDropLog = -Infinity;
  /** Messages dropped because their sender is not a current member. */
  droppedFromNonMembers = 0;

  constructor(parts: CoordinatorParts, logger: Logger, options: CoordinatorOptions = {}) {
    super();
    this.#parts = parts;
    this.#log = logger;
    this.#authenticated = options.authenticated ?? false;
    this.#now = options.now ?? Date.now;
    const { receiver, sender, membership } = parts;
    receiver.setHandler((message) => {
      if ((message.options & SendOptions.MEMBERSHIP) !== 0) {
        return membership.messageReceived?.(message) ?? Promise.resolve();
      }
      // The sender as membership knows it: replies go to its advertised address, never to a
      // host and port a message names.
      const known = membership.getMember(message.address.id);
      if (known) {
        return this.previous.messageReceived(
          known === message.address ? message : { ...message, address: known },
        );
      }
      if (!this.#authenticated) return this.previous.messageReceived(message);
      return this.#dropFromNonMember(message);
    });
    membership.setListener({
      memberAdded: (member) => this.previous.memberAdded(member),
      memberDisappeared: (member, reason) => {
        sender.memberDisappeared(member);
        this.previous.memberDisappeared(member, reason);
      },
    });
    membership.attachChannel?.({
      send: (to, payload) =>
        sender.sendMessage({
          options: SendOptions.MEMBERSHIP | SendOptions.USE_ACK | SendOptions.BYTE_MESSAGE,
          timestamp: Date.now(),
          uniqueId: UniqueId.random(),
          address: membership.getLocalMember(),
          payload,
        }, [to]),
    });
    sender.setConnectionListener?.((member, cause) => this.previous.memberSuspected(member, cause));
    this.#steps = [
      {
        bit: StartOptions.SND_RX_SEQ,
        name: "receiver",
        start: async () => {
          await receiver.start();
          const bound = receiver.boundAddress;
          if (bound) membership.setLocalMemberProperties({ host: bound.host, port: bound.port });
        },
        stop: () => receiver.stop(),
      },
      {
        bit: StartOptions.SND_TX_SEQ,
        name: "sender",
        start: () => sender.start(),
        stop: () => sender.stop(),
      },
      {
        bit: StartOptions.MBR_RX_SEQ,
        name: "membership receive",
        start: () => membership.start(StartOptions.MBR_RX_SEQ),
        stop: () => membership.stop(StartOptions.MBR_RX_SEQ),
      },
      {
        bit: StartOptions.MBR_TX_SEQ,
        name: "membership transmit",
        start: () => membership.start(StartOptions.MBR_TX_SEQ),
        stop: () => membership.stop(StartOptions.MBR_TX_SEQ),
      },
    ];
  }

  /** The bits of `channelStartOptions` currently started. */
  get started(): number {
    return this.#started;
  }

  /** Counts the drop; a sender waiting for a synchronized ack gets a fail-ack saying why. */
  #dropFromNonMember(message: ChannelMessage): Promise<void> {
    this.droppedFromNonMembers++;
    const error = new ConclaveError(
      "CHANNEL_ERR_NOT_MEMBER",
      `A message from ${message.address.id.hex}, which is not a current member, was dropped`,
    );
    const now = this.#now();
    if (now - this.#lastDropLog >= DROP_LOG_INTERVAL) {
      this.#lastDropLog = now;
      this.#log.warn(
        { code: error.code, member: message.address.name, dropped: this.droppedFromNonMembers },
        "Message from a non-member dropped",
      );
    }
    const sync = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;
    return (message.options & sync) === sync ? Promise.reject(error) : Promise.resolve();
  }

  override async start(svc: number): Promise<void> {
    const begun: Step[] = [];
    for (const step of this.#steps) {
      if ((svc & step.bit) === 0 || (this.#started & step.bit) !== 0) continue;
      try {
        await step.start();
      } catch (cause) {
        // Leave nothing half-started: undo this call's steps, newest first.
        for (const done of begun.reverse()) await this.#stopStep(done);
        throw cause instanceof ConclaveError ? cause : new ConclaveError(
          "CHANNEL_ERR_PLUGIN_FAILED",
          `Cannot start the channel's ${step.name}`,
          { cause },
        );
      }
      begun.push(step);
      this.#started |= step.bit;
      this.#log.debug({ part: step.name }, "Channel part started");
    }
  }

  override async stop(svc: number): Promise<void> {
    for (const step of [...this.#steps].reverse()) {
      if ((svc & step.bit) === 0 || (this.#started & step.bit) === 0) continue;
      await this.#stopStep(step);
    }
  }

  async #stopStep(step: Step): Promise<void> {
    this.#started &= ~step.bit;
    try {
      await step.stop();
      this.#log.debug({ part: step.name }, "Channel part stopped");
    } catch (err) {
      // Stopping goes on with the other parts: one stuck part must not keep the node half-up.
      this.#log.error({ err, part: step.name }, "Channel part failed to stop");
    }
  }

  override sendMessage(destinations: readonly Member[], message: ChannelMessage): Promise<void> {
    if ((this.#started & StartOptions.SND_TX_SEQ) === 0) {
      return Promise.reject(
        new ConclaveError(
          "CHANNEL_ERR_NOT_STARTED",
          "Cannot send: the channel's sender is not started",
        ),
      );
    }
    if ((message.options & (SendOptions.MULTICAST | SendOptions.UDP)) !== 0) {
      return Promise.reject(
        new ConclaveError(
          "CHANNEL_ERR_UNSUPPORTED_OPTION",
          "Cannot send: the multicast and udp options are not supported",
        ),
      );
    }
    return this.#parts.sender.sendMessage(message, destinations);
  }

  override heartbeat(): void {
    if ((this.#started & StartOptions.SND_TX_SEQ) !== 0) this.#parts.sender.heartbeat();
  }

  override hasMembers(): boolean {
    return this.#parts.membership.getMembers().length > 0;
  }

  override getMembers(): readonly Member[] {
    return this.#parts.membership.getMembers();
  }

  override getMember(id: UniqueId): Member | undefined {
    return this.#parts.membership.getMember(id);
  }

  override getLocalMember(): Member {
    return this.#parts.membership.getLocalMember();
  }
}
