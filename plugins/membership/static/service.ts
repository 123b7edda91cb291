/**
 * `StaticMembershipService`: a fixed list of members, each sent a signed heartbeat over the
 * channel's own transport every `frequency` ms. A member is added when its heartbeat arrives and
 * dropped after `dropTime` without one; a restarted member (new id, same address) replaces its old
 * self. Members not in this node's list that send to it are answered, so lists need not be
 * symmetric.
 *
 * @module
 */
import type { Member } from "../../../src/interfaces/member.ts";
import type { MembershipChannel } from "../../../src/interfaces/membership.ts";
import type { ChannelMessage } from "../../../src/interfaces/message.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { ConclaveError } from "../../../src/errors.ts";
import type { MembershipKindValue } from "../../../src/membership/codec.ts";
import { HeartbeatMembership, type HeartbeatOptions } from "../../../src/membership/heartbeat.ts";

/** One configured member: its receiver's address, and optionally its id. */
export interface StaticEntry {
  host: string;
  port: number;
  uniqueId?: UniqueId;
}

export interface StaticMembershipOptions extends HeartbeatOptions {
  /** Read at every heartbeat, so a caller may add entries later. */
  members: StaticEntry[];
}

const ANYONE = new UniqueId(new Uint8Array(16));

export class StaticMembershipService extends HeartbeatMembership {
  #members: StaticEntry[];
  #channel: MembershipChannel | undefined;
  #targets = new Map<string, Member>();

  constructor(options: StaticMembershipOptions) {
    super(options);
    this.#members = options.members;
  }

  attachChannel(channel: MembershipChannel): void {
    this.#channel = channel;
  }

  messageReceived(message: ChannelMessage): Promise<void> {
    const known = this.table.members().length;
    const heard = this.received(message.payload, message.address.name);
    if (heard && !heard.member.id.equals(message.address.id)) {
      // The signed record must be the sender's own: a relayed heartbeat proves nothing.
      this.table.drop(heard.member.id, "unreachable");
      this.dropped.drop(
        new ConclaveError("MEMBERSHIP_ERR_AUTH", "A heartbeat relayed by another member"),
        message.address.name,
      );
      return Promise.resolve();
    }
    if (heard && this.table.members().length > known && this.#channel) {
      // Answer a newcomer at once, so it need not wait a period (or list us) to see us.
      this.#channel.send(heard.member, this.heartbeatBytes()).catch(() => {});
    }
    return Promise.resolve();
  }

  protected openReceiver(): Promise<void> {
    if (!this.#channel) {
      return Promise.reject(
        new ConclaveError(
          "CHANNEL_ERR_PLUGIN_FAILED",
          "StaticMembershipService needs a channel: use it in a cluster's membership slot",
        ),
      );
    }
    return Promise.resolve();
  }

  protected closeReceiver(): Promise<void> {
    return Promise.resolve();
  }

  protected openSender(): Promise<void> {
    return this.openReceiver();
  }

  protected closeSender(): Promise<void> {
    return Promise.resolve();
  }

  protected async broadcast(bytes: Uint8Array, _kind: MembershipKindValue): Promise<void> {
    const channel = this.#channel;
    if (!channel) return;
    const targets = new Map<string, Member>();
    const self = this.getLocalMember();
    for (const entry of this.#members) {
      // Every node may share one list: skip our own entry.
      if (entry.port === self.port && sameHost(entry.host, self.host)) continue;
      targets.set(`${entry.host}:${entry.port}`, this.#target(entry));
    }
    // The list may shrink (DNS membership): forget what left it, so this map stays bounded.
    for (const key of this.#targets.keys()) if (!targets.has(key)) this.#targets.delete(key);
    for (const member of this.table.members()) targets.set(`${member.host}:${member.port}`, member);
    await Promise.allSettled([...targets.values()].map((to) => channel.send(to, bytes)));
  }

  /**
   * A member record to address an entry before its heartbeat told us who it is. Its id is the
   * configured one, or all zeros: "whoever listens there" to the channel handshake.
   */
  #target(entry: StaticEntry): Member {
    const key = `${entry.host}:${entry.port}`;
    let target = this.#targets.get(key);
    if (!target) {
      target = {
        id: entry.uniqueId ?? ANYONE,
        name: `tcp://${entry.host.includes(":") ? `[${entry.host}]` : entry.host}:${entry.port}`,
        host: entry.host,
        port: entry.port,
        jvmRoute: "",
        domain: this.options.domain,
        ready: false,
        payload: new Uint8Array(0),
      };
      this.#targets.set(key, target);
    }
    return target;
  }
}

/** True when two host strings name the same host (any two loopback names count as one). */
export function sameHost(a: string, b: string): boolean {
  const local = (h: string) => h === "localhost" || h === "127.0.0.1" || h === "::1";
  return a === b || (local(a) && local(b));
}
