/**
 * `BackupManager` (Tomcat's `org.apache.catalina.ha.session.BackupManager`): each session on its
 * primary and one backup node; the others know where it lives.
 *
 * ```json
 * { "className": "BackupManager", "maxInactiveInterval": 1800 }
 * ```
 *
 * @module
 */
import { ConclaveError } from "../../../src/kernel/errors.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { javaTuning } from "../../../src/kernel/tuning.ts";
import { BackupManager } from "./manager.ts";

export { BackupManager };

export default definePlugin({
  kind: "manager",
  name: "manager/backup",
  shortNames: ["BackupManager"],
  aliases: ["org.apache.catalina.ha.session.BackupManager"],
  attributes: {
    maxInactiveInterval: {
      type: "integer",
      default: 1800,
      min: -1,
      description: "Default session timeout, seconds (-1: never)",
    },
    ...javaTuning(
      "mapSendOptions",
      "rpcTimeout",
      "terminateOnStartFailure",
      "accessTimeout",
      "notifyListenersOnReplication",
    ),
  },
  create: (init, components) => {
    const { channel, clock, logger, localMember, contextName, sendOptions } = components;
    if (!channel) {
      throw new ConclaveError(
        "CHANNEL_ERR_PLUGIN_FAILED",
        "BackupManager needs the cluster's channel",
      );
    }
    return new BackupManager({
      name: contextName ?? "/",
      channel,
      clock,
      logger,
      jvmRoute: localMember.jvmRoute,
      nodeId: localMember.id.hex,
      sendOptions: sendOptions ?? 8,
      maxInactiveInterval: init.maxInactiveInterval as number,
    });
  },
});
