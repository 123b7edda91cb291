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
import type { MemoryBeacon, MemoryNetwork } from "../../../src/testing/memory_network.ts";

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

interface Known {
  member: Member;
  lastHeard: number;
}

export class MemoryMembership implements Membership, MemoryBeacon {
  #init: MemoryMembershipInit;
  #local: Member;
  #members = new Map<string, Known>();
  #listener: MembershipListener | undefined;
  #receiving = false;
  #transmitting = false;
  #stopBeat: Cancel | undefined;
  #stopCheck: Cancel | undefined;

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
  }

  start(level: number): Promise<void> {
    const { network, clock, frequency } = this.#init;
    if ((level & StartOptions.MBR_RX_SEQ) !== 0 && !this.#receiving) {
      this.#receiving = true;
      network.addBeacon(this);
      this.#stopCheck = clock.setInterval(() => this.#expire(), frequency);
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
      this.#members.clear();
    }
    return Promise.resolve();
  }

  setListener(listener: MembershipListener): void {
    this.#listener = listener;
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

  getMembers(): readonly Member[] {
    return [...this.#members.values()].map((k) => k.member);
  }

  getMember(id: UniqueId): Member | undefined {
    return this.#members.get(id.hex)?.member;
  }

  heard(member: Member): void {
    if (!this.#receiving || member.id.equals(this.#local.id)) return;
    if (member.domain !== this.#local.domain) return;
    const now = this.#init.clock.now();
    const known = this.#members.get(member.id.hex);
    if (known) {
      known.member = member;
      known.lastHeard = now;
      return;
    }
    // A restarted node keeps its address but not its id: it replaces its old self.
    for (const old of [...this.#members.values()]) {
      if (old.member.name === member.name) this.#drop(old.member, "replaced");
    }
    this.#members.set(member.id.hex, { member, lastHeard: now });
    this.#listener?.memberAdded(member);
  }

  left(member: Member): void {
    if (this.#receiving && this.#members.has(member.id.hex)) this.#drop(member, "left");
  }

  #expire(): void {
    const deadline = this.#init.clock.now() - this.#init.dropTime;
    for (const known of [...this.#members.values()]) {
      if (known.lastHeard < deadline) this.#drop(known.member, "expired");
    }
  }

  #drop(member: Member, reason: string): void {
    this.#members.delete(member.id.hex);
    this.#init.logger.debug({ member: member.name, reason }, "Member dropped");
    this.#listener?.memberDisappeared(member);
  }
}
