/**
 * The member table every membership keeps: who was heard from when, who expires, who replaced
 * whom. Heartbeat transports (multicast datagrams, static pings, the in-memory network) only feed
 * it.
 *
 * @module
 */
import type { Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { DepartureReason, Member, MembershipListener } from "../interfaces/member.ts";
import type { UniqueId } from "../interfaces/unique_id.ts";

interface Known {
  member: Member;
  lastHeard: number;
}

export interface MemberTableOptions {
  clock: Clock;
  logger: Logger;
  /** Silence after which a member expires, ms. */
  dropTime: number;
  /** Only members of this domain are kept. */
  domain: string;
  /** The local member's id, never added. */
  localId: UniqueId;
}

/** Live members by id, with Tomcat's expiry rule and Lifeguard's allowance for local stalls. */
export class MemberTable {
  #options: MemberTableOptions;
  #members = new Map<string, Known>();
  #listener: MembershipListener | undefined;
  #ignoredDomains = new Set<string>();

  constructor(options: MemberTableOptions) {
    this.#options = options;
  }

  setListener(listener: MembershipListener): void {
    this.#listener = listener;
  }

  members(): Member[] {
    return [...this.#members.values()].map((k) => k.member);
  }

  get(id: UniqueId): Member | undefined {
    return this.#members.get(id.hex)?.member;
  }

  /** A heartbeat from `member`. Adds it (replacing an old self at the same address) or refreshes it. */
  heard(member: Member): void {
    const { clock, domain, localId, logger } = this.#options;
    if (member.id.equals(localId)) return;
    if (member.domain !== domain) {
      if (!this.#ignoredDomains.has(member.domain)) {
        this.#ignoredDomains.add(member.domain);
        logger.info(
          { member: member.name, domain: member.domain },
          "Ignoring members of another domain",
        );
      }
      return;
    }
    const now = clock.now();
    const known = this.#members.get(member.id.hex);
    if (known) {
      known.member = member;
      known.lastHeard = now;
      return;
    }
    // A restarted node keeps its address but not its id: it replaces its old self at once.
    for (const old of [...this.#members.values()]) {
      if (old.member.host === member.host && old.member.port === member.port) {
        this.drop(old.member.id, "replaced");
      }
    }
    this.#members.set(member.id.hex, { member, lastHeard: now });
    logger.info({ member: member.name, jvmRoute: member.jvmRoute }, "Member joined");
    this.#listener?.memberAdded(member);
  }

  /** Drops members silent for `dropTime` plus `allowance` ms (this node's own measured stall). */
  expire(allowance = 0): void {
    const deadline = this.#options.clock.now() - this.#options.dropTime - allowance;
    for (const known of [...this.#members.values()]) {
      if (known.lastHeard < deadline) this.drop(known.member.id, "expired");
    }
  }

  /** Removes a member and tells the listener; nothing happens for an unknown id. */
  drop(id: UniqueId, reason: DepartureReason): void {
    const known = this.#members.get(id.hex);
    if (!known) return;
    this.#members.delete(id.hex);
    this.#options.logger.info({
      member: known.member.name,
      jvmRoute: known.member.jvmRoute,
      reason,
    }, "Member dropped");
    this.#listener?.memberDisappeared(known.member, reason);
  }

  /** Forgets everyone without events (the membership stopped listening). */
  clear(): void {
    this.#members.clear();
  }
}
