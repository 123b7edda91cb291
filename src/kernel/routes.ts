/**
 * Two live members never share a `jvmRoute` (SPEC section 6): the balancer routes by it, so two
 * holders would split every session between them. A starting node that meets its route refuses
 * to start; a running node never does (the newcomer stops), it only logs.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { Member, MembershipListener } from "../interfaces/member.ts";
import type { UniqueId } from "../interfaces/unique_id.ts";

/** What the guard needs of the channel. */
export interface RouteChannel {
  getMembers(): readonly Member[];
  addMembershipListener(listener: MembershipListener): void;
}

/**
 * Whether `member` wins `jvmRoute` over a node that is still starting with id `mine`: a ready
 * member always does; of two starting nodes the lower id keeps it, so exactly one of them stops.
 */
function outranks(member: Member, mine: UniqueId): boolean {
  return member.ready || member.id.hex < mine.hex;
}

/** The error a starting node stops with, naming the member that holds the route. */
export function duplicateRouteError(jvmRoute: string, member: Member): ConclaveError {
  return new ConclaveError(
    "NODE_ERR_DUPLICATE_ROUTE",
    `jvmRoute "${jvmRoute}" is taken by live member ${member.name} (uniqueId ${member.id.hex}${
      member.ready ? "" : ", starting"
    }): give each node its own jvmRoute (--jvm-route)`,
  );
}

/** Watches membership for members with this node's route. */
export class RouteGuard {
  #jvmRoute: string;
  #id: UniqueId;
  #log: Logger;
  #running = false;
  #seen: Member | undefined;

  constructor(channel: RouteChannel, local: { jvmRoute: string; id: UniqueId }, log: Logger) {
    this.#jvmRoute = local.jvmRoute;
    this.#id = local.id;
    this.#log = log;
    channel.addMembershipListener({
      memberAdded: (member) => this.#added(member),
      memberDisappeared: () => {},
    });
  }

  /**
   * While starting: throws NODE_ERR_DUPLICATE_ROUTE if a member among `members` (or one seen
   * since the start) holds this node's route and outranks it.
   */
  check(members: readonly Member[]): void {
    const holder = members.find((m) => this.#clashes(m)) ?? this.#seen;
    if (holder) throw duplicateRouteError(this.#jvmRoute, holder);
  }

  /** The node is ready: from now on a member with its route is the one to stop. */
  running(): void {
    this.#running = true;
  }

  #clashes(member: Member): boolean {
    return member.jvmRoute === this.#jvmRoute && !member.id.equals(this.#id) &&
      outranks(member, this.#id);
  }

  #added(member: Member): void {
    if (member.jvmRoute !== this.#jvmRoute || member.id.equals(this.#id)) return;
    if (this.#running) {
      this.#log.error(
        { member: member.name, uniqueId: member.id.hex, jvmRoute: member.jvmRoute },
        "A member joined with this node's jvmRoute: it must stop (this node keeps running)",
      );
    } else if (this.#clashes(member)) {
      this.#seen ??= member;
    }
  }
}
