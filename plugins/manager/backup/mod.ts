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
import { managerBase } from "../../../src/session/manager_components.ts";
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
    maxActiveSessions: {
      type: "integer",
      default: -1,
      min: -1,
      description:
        "Most sessions at once; a request that would create one more gets 503 (-1: no limit)",
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
      description: "Seconds an ended session's tombstone is kept, so that a heal cannot revive it",
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
    return new BackupManager({
      ...managerBase(components, "BackupManager"),
      maxInactiveInterval: init.maxInactiveInterval,
      maxPartitionTime: init.maxPartitionTime,
      maxActiveSessions: init.maxActiveSessions,
      processExpiresFrequency: init.processExpiresFrequency,
    });
  },
});
