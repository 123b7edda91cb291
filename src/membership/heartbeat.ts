/**
 * What multicast and static membership share: the local member, signed heartbeats with a
 * sequence number, replay and domain checks, the member table, expiry that allows for this
 * node's own stalls, and start/stop by level. Subclasses only move bytes.
 *
 * @module
 */
import type { Cancel, Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { LocalMemberInit, Member, MembershipListener } from "../interfaces/member.ts";
import type { LocalMemberProperties, Membership } from "../interfaces/membership.ts";
import { StartOptions } from "../interfaces/message.ts";
import type { UniqueId } from "../interfaces/unique_id.ts";
import { DroppedMessages } from "./dropped.ts";
import { afterPendingIo, LagMonitor } from "./lag.ts";
import {
  decodeMembership,
  encodeMembership,
  MembershipKind,
  type MembershipKindValue,
  type MembershipMessage,
  ReplayGuard,
} from "./codec.ts";
import { MemberTable } from "./table.ts";

export interface HeartbeatOptions {
  local: LocalMemberInit;
  frequency: number;
  dropTime: number;
  domain: string;
  secret: string | undefined;
  clock: Clock;
  logger: Logger;
}

export abstract class HeartbeatMembership implements Membership {
  protected readonly options: HeartbeatOptions;
  protected readonly table: MemberTable;
  /** Dropped messages by code, for statistics and tests. */
  readonly dropped: DroppedMessages;
  #local: Member;
  #seq = 0;
  #guard: ReplayGuard;
  #lag: LagMonitor;
  #receiving = false;
  #transmitting = false;
  #stopBeat: Cancel | undefined;
  #stopCheck: Cancel | undefined;

  constructor(options: HeartbeatOptions) {
    this.options = options;
    const { local, clock, logger, dropTime, frequency, domain } = options;
    this.#local = {
      id: local.id,
      name: "tcp://0.0.0.0:0",
      host: "0.0.0.0",
      port: 0,
      jvmRoute: local.jvmRoute,
      domain,
      ready: false,
      payload: local.payload ?? new Uint8Array(0),
    };
    this.table = new MemberTable({ clock, logger, dropTime, domain, localId: local.id });
    this.dropped = new DroppedMessages(logger, clock);
    // Clocks of different hosts drift; a window of 10 dropTimes (at least 30 s) absorbs that.
    this.#guard = new ReplayGuard(Math.max(30_000, 10 * dropTime));
    this.#lag = new LagMonitor(clock, Math.max(10, Math.floor(frequency / 5)), 2 * dropTime);
  }

  get settleTime(): number {
    return this.options.frequency;
  }

  get authenticated(): boolean {
    return this.options.secret !== undefined;
  }

  get channelSecret(): string | undefined {
    return this.options.secret;
  }

  /** Opens what receives heartbeats. */
  protected abstract openReceiver(): Promise<void>;
  protected abstract closeReceiver(): Promise<void>;
  /** Opens what sends them. */
  protected abstract openSender(): Promise<void>;
  protected abstract closeSender(): Promise<void>;
  /** Sends one heartbeat or goodbye to everyone this membership announces itself to. */
  protected abstract broadcast(bytes: Uint8Array, kind: MembershipKindValue): Promise<void>;

  async start(level: number): Promise<void> {
    const { clock, frequency } = this.options;
    if ((level & StartOptions.MBR_RX_SEQ) !== 0 && !this.#receiving) {
      await this.openReceiver();
      this.#receiving = true;
      this.#lag.start();
      this.#stopCheck = clock.setInterval(
        () => afterPendingIo(() => this.#receiving && this.table.expire(this.#lag.recentLag)),
        frequency,
      );
    }
    if ((level & StartOptions.MBR_TX_SEQ) !== 0 && !this.#transmitting) {
      await this.openSender();
      this.#transmitting = true;
      this.#beat();
      this.#stopBeat = clock.setInterval(() => this.#beat(), frequency);
    }
  }

  async stop(level: number): Promise<void> {
    if ((level & StartOptions.MBR_TX_SEQ) !== 0 && this.#transmitting) {
      this.#transmitting = false;
      this.#stopBeat?.();
      try {
        await this.broadcast(this.#message(MembershipKind.LEAVING), MembershipKind.LEAVING);
      } catch (err) {
        this.options.logger.warn({ err }, "Cannot announce this node's departure");
      }
      await this.closeSender();
    }
    if ((level & StartOptions.MBR_RX_SEQ) !== 0 && this.#receiving) {
      this.#receiving = false;
      this.#stopCheck?.();
      this.#lag.stop();
      this.table.clear();
      await this.closeReceiver();
    }
  }

  setListener(listener: MembershipListener): void {
    this.table.setListener(listener);
  }

  setLocalMemberProperties(properties: LocalMemberProperties): void {
    const host = properties.host ?? this.#local.host;
    const port = properties.port ?? this.#local.port;
    this.#local = {
      ...this.#local,
      ...properties,
      host,
      port,
      name: `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`,
    };
    if (this.#transmitting) this.#beat();
  }

  getLocalMember(): Member {
    return this.#local;
  }

  getMembers(): readonly Member[] {
    return this.table.members();
  }

  getMember(id: UniqueId): Member | undefined {
    return this.table.get(id);
  }

  protected get receiving(): boolean {
    return this.#receiving;
  }

  /** Handles heartbeat bytes from `from`; bad ones are counted and dropped, never thrown. */
  protected received(bytes: Uint8Array, from: string): MembershipMessage | undefined {
    if (!this.#receiving) return undefined;
    let message: MembershipMessage;
    try {
      message = decodeMembership(bytes, this.options.secret);
      if (message.member.id.equals(this.#local.id)) return undefined; // our own, looped back
      this.#guard.check(message, this.options.clock.now());
    } catch (error) {
      this.dropped.drop(error, from);
      return undefined;
    }
    if (message.kind === MembershipKind.LEAVING) this.table.drop(message.member.id, "left");
    else this.table.heard(message.member);
    return message;
  }

  /** A fresh heartbeat of the local member, signed when there is a secret. */
  protected heartbeatBytes(): Uint8Array {
    return this.#message(MembershipKind.ALIVE);
  }

  #message(kind: MembershipKindValue): Uint8Array {
    return encodeMembership({
      kind,
      seq: ++this.#seq,
      timestamp: this.options.clock.now(),
      member: this.#local,
    }, this.options.secret);
  }

  #beat(): void {
    this.broadcast(this.heartbeatBytes(), MembershipKind.ALIVE).catch((err) =>
      this.options.logger.debug({ err: (err as Error).message }, "Heartbeat not sent")
    );
  }
}
