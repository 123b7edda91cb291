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
