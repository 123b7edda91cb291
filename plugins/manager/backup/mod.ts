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
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { managerBase, SESSION_ATTRIBUTES } from "../../../src/session/manager_components.ts";
import { javaTuning } from "../../../src/kernel/tuning.ts";
import { BackupManager } from "./manager.ts";

export { BackupManager };

export default definePlugin({
  kind: "manager",
  name: "manager/backup",
  shortNames: ["BackupManager"],
  aliases: ["org.apache.catalina.ha.session.BackupManager"],
  attributes: {
    ...SESSION_ATTRIBUTES,
    ...javaTuning(
      "mapSendOptions",
      "rpcTimeout",
      "terminateOnStartFailure",
      "accessTimeout",
      "notifyListenersOnReplication",
    ),
  },
  create: (init, components) => {
    return new BackupManager({
      ...managerBase(components, "BackupManager"),
      maxInactiveInterval: init.maxInactiveInterval,
      maxPartitionTime: init.maxPartitionTime,
      maxActiveSessions: init.maxActiveSessions,
      processExpiresFrequency: init.processExpiresFrequency,
    });
  },
});
