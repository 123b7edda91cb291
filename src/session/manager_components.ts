/**
 * What every session manager plugin takes from the kernel: its app, the channel, the node's
 * identity and the cluster's send options.
 *
 * @module
 */
import type { Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { ManagerChannel } from "../interfaces/manager.ts";
import type { ComponentsOf } from "../interfaces/plugin.ts";
import { ConclaveError } from "../errors.ts";
import type { AttributeSchema } from "../interfaces/attributes.ts";

/** The attributes every session manager takes: timeouts, the session limit, tombstones. */
export const SESSION_ATTRIBUTES = {
  maxInactiveInterval: {
    type: "integer",
    default: 1800,
    min: -1,
    description: "Default session timeout, seconds (-1: never)",
  },
  maxActiveSessions: {
    type: "integer",
    default: -1,
    min: -1,
    description:
      "Most sessions held at once; a request that would create one more gets 503 (-1: no limit)",
  },
  processExpiresFrequency: {
    type: "integer",
    default: 10_000,
    min: 100,
    description: "How often idle sessions are expired, ms",
  },
  maxPartitionTime: {
    type: "integer",
    default: 3600,
    min: 1,
    description:
      "Seconds an ended session's tombstone is kept: after a longer partition it may return",
  },
} as const satisfies AttributeSchema;

export interface ManagerBase {
  name: string;
  channel: ManagerChannel;
  clock: Clock;
  logger: Logger;
  jvmRoute: string;
  nodeId: string;
  sendOptions: number;
}

/** The shared part of a manager's options; throws when built outside a cluster. */
export function managerBase(components: ComponentsOf<"manager">, manager: string): ManagerBase {
  const { channel, clock, logger, localMember, contextName, sendOptions } = components;
  if (!channel) {
    throw new ConclaveError("CHANNEL_ERR_PLUGIN_FAILED", `${manager} needs the cluster's channel`);
  }
  return {
    name: contextName ?? "/",
    channel,
    clock,
    logger,
    jvmRoute: localMember.jvmRoute,
    nodeId: localMember.id.hex,
    sendOptions: sendOptions ?? 8, // SPEC's default channelSendOptions: asynchronous
  };
}
