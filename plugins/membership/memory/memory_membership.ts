/**
 * Membership over the in-memory network: heartbeats every `frequency` ms, members dropped after
 * `dropTime` ms of silence, a graceful stop announced at once. Same timing model as McastService.
 *
 * @module
 */
import type { Cancel, Clock } from "../../../src/interfaces/clock.ts";
import type { Logger } from "../../../src/interfaces/logger.ts";
import type {
  LocalMemberInit,
  Member,
  MembershipListener,
} from "../../../src/interfaces/member.ts";
import type { LocalMemberProperties, Membership } from "../../../src/interfaces/membership.ts";
import { StartOptions } from "../../../src/interfaces/message.ts";
import type { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { MemberTable } from "../../../src/membership/table.ts";
import type { MemoryBeacon, MemoryNetwork } from "./network.ts";

export interface MemoryMembershipInit {
  network: MemoryNetwork;
  local: LocalMemberInit;
  /** Heartbeat period, ms. @default 500 */
  frequency: number;
  /** Silence after which a member is dropped, ms. @default 3000 */
  dropTime: number;
  clock: Clock;
  logger: Logger;
}

export class MemoryMembership implements Membership, MemoryBeacon {
  #init: MemoryMembershipInit;
  #local: Member;
  #table: MemberTable;
  #receiving = false;
  #transmitting = false;
  #stopBeat: Cancel | undefined;
  #stopCheck: Cancel | undefined;

  get settleTime(): number {
    return this.#init.frequency;
  }

  constructor(init: MemoryMembershipInit) {
    this.#init = init;
    this.#local = {
      id: init.local.id,
      name: `mem://${init.network.name}/0`,
      host: "memory",
      port: 0,
      jvmRoute: init.local.jvmRoute,
      domain: init.local.domain ?? "",
      ready: false,
      payload: init.local.payload ?? new Uint8Array(0),
    };
    this.#table = new MemberTable({
      clock: init.clock,
      logger: init.logger,
      dropTime: init.dropTime,
      domain: this.#local.domain,
      localId: init.local.id,
    });
  }

  start(level: number): Promise<void> {
    const { network, clock, frequency } = this.#init;
    if ((level & StartOptions.MBR_RX_SEQ) !== 0 && !this.#receiving) {
      this.#receiving = true;
      network.addBeacon(this);
      this.#stopCheck = clock.setInterval(() => this.#table.expire(), frequency);
    }
    if ((level & StartOptions.MBR_TX_SEQ) !== 0 && !this.#transmitting) {
      this.#transmitting = true;
      network.heartbeat(this.#local, this);
      this.#stopBeat = clock.setInterval(() => network.heartbeat(this.#local, this), frequency);
    }
    return Promise.resolve();
  }

  stop(level: number): Promise<void> {
    if ((level & StartOptions.MBR_TX_SEQ) !== 0 && this.#transmitting) {
      this.#transmitting = false;
      this.#stopBeat?.();
      this.#init.network.leave(this.#local, this);
    }
    if ((level & StartOptions.MBR_RX_SEQ) !== 0 && this.#receiving) {
      this.#receiving = false;
      this.#stopCheck?.();
      this.#init.network.removeBeacon(this);
      this.#table.clear();
    }
    return Promise.resolve();
  }

  setListener(listener: MembershipListener): void {
    this.#table.setListener(listener);
  }

  setLocalMemberProperties(properties: LocalMemberProperties): void {
    const port = properties.port ?? this.#local.port;
    this.#local = {
      ...this.#local,
      ...properties,
      port,
      name: `mem://${this.#init.network.name}/${port}`,
    };
    if (this.#transmitting) this.#init.network.heartbeat(this.#local, this);
  }

  getLocalMember(): Member {
    return this.#local;
  }

  /** This node's receiver port, by which the network isolates it. */
  get port(): number {
    return this.#local.port;
  }

  getMembers(): readonly Member[] {
    return this.#table.members();
  }

  getMember(id: UniqueId): Member | undefined {
    return this.#table.get(id);
  }

  heard(member: Member): void {
    if (this.#receiving) this.#table.heard(member);
  }

  left(member: Member): void {
    if (this.#receiving) this.#table.drop(member.id, "left");
  }
}
