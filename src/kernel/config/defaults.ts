/**
 * The one-line form: what `"cluster": { "className": "SimpleTcpCluster" }` expands to, as Tomcat's
 * one-line `<Cluster>` does. Only `className`s are filled; each plugin supplies its own attribute
 * defaults when its schema checks the slot.
 *
 * @module
 */
import { childPath } from "./json.ts";
import type { Slot } from "./types.ts";

/** The className of each single slot when it is absent. */
export const DEFAULT_CLASS_NAMES = {
  manager: "DeltaManager",
  channel: "GroupChannel",
  membership: "McastService",
  receiver: "NioReceiver",
  sender: "ReplicationTransmitter",
  transport: "PooledParallelSender",
} as const;

/**
 * The slot lists used when their key is absent. An explicit `[]` means none, so a user can turn
 * the defaults off (Tomcat has no way to: it adds its defaults to any empty list).
 */
export const DEFAULT_INTERCEPTORS: readonly string[] = [
  "TcpFailureDetector",
  "MessageDispatchInterceptor",
];
export const DEFAULT_VALVES: readonly string[] = ["ReplicationValve", "JvmRouteBinderValve"];
export const DEFAULT_CLUSTER_LISTENERS: readonly string[] = ["ClusterSessionListener"];

/** Senders that send through a `transport` slot, and so get the default one when it is absent. */
export const TRANSPORT_SENDERS: readonly string[] = [
  "ReplicationTransmitter",
  "org.apache.catalina.tribes.transport.ReplicationTransmitter",
];

/** A slot with no attributes, standing where the file left one out. */
export function defaultSlot(className: string, path: string): Slot {
  return { className, path, raw: {} };
}

/** Default slots for a list, with the paths they would have had in the file. */
export function defaultSlots(classNames: readonly string[], path: string): Slot[] {
  return classNames.map((className, i) => defaultSlot(className, childPath(path, i)));
}
