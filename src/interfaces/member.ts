/**
 * Members: the nodes of a cluster as the channel sees them.
 *
 * @module
 */
import type { UniqueId } from "./unique_id.ts";

/**
 * One node of the cluster. Records are immutable: membership replaces a member's record when
 * what it advertises changes. Identity is `id` alone (a restarted node has a new id).
 */
export interface Member {
  /** 16 random bytes chosen when the node starts. */
  readonly id: UniqueId;
  /** `tcp://host:port` (`mem://network/port` on the in-memory network), for logs and errors. */
  readonly name: string;
  /** The host its receiver listens on. */
  readonly host: string;
  /** Its receiver's port. */
  readonly port: number;
  /** The session id suffix of the node (`<Engine jvmRoute>`); `""` when it has none. */
  readonly jvmRoute: string;
  /** Members of another domain are not part of this cluster; `""` is the default domain. */
  readonly domain: string;
  /** True once the member holds the cluster's state (state transfer done). */
  readonly ready: boolean;
  /** Opaque bytes the member advertises; empty by default. */
  readonly payload: Uint8Array;
}

/** What a node knows about itself before its receiver has bound a port. */
export interface LocalMemberInit {
  id: UniqueId;
  jvmRoute: string;
  domain?: string;
  payload?: Uint8Array;
}

/**
 * Why a member disappeared: it announced its departure (`left`), fell silent for `dropTime`
 * (`expired`), restarted with a new id at the same address (`replaced`), or was found dead by a
 * failure detector (`unreachable`).
 */
export type DepartureReason = "left" | "expired" | "replaced" | "unreachable";

/** Receives membership changes. Calls never overlap for one listener. */
export interface MembershipListener {
  memberAdded(member: Member): void;
  memberDisappeared(member: Member, reason: DepartureReason): void;
}
