/**
 * `DeltaManager` (Tomcat's `org.apache.catalina.ha.session.DeltaManager`): all sessions on all
 * nodes, only changed attributes replicated.
 *
 * ```json
 * { "className": "DeltaManager", "expireSessionsOnShutdown": false,
 *   "notifyListenersOnReplication": true, "stateTransferTimeout": 60 }
 * ```
 *
 * @module
 */
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { managerBase, SESSION_ATTRIBUTES } from "../../../src/session/manager_components.ts";
import { javaTuning } from "../../../src/kernel/tuning.ts";
import { DeltaManager } from "./manager.ts";

export { DeltaManager };

export default definePlugin({
  kind: "manager",
  name: "manager/delta",
  shortNames: ["DeltaManager"],
  aliases: ["org.apache.catalina.ha.session.DeltaManager"],
  attributes: {
    ...SESSION_ATTRIBUTES,
    expireSessionsOnShutdown: {
      type: "boolean",
      default: false,
      description: "Invalidate this node's sessions everywhere when it stops",
    },
    notifyListenersOnReplication: {
      type: "boolean",
      default: true,
      description: "Session listeners also fire for replicated changes",
    },
    stateTransferTimeout: {
      type: "integer",
      default: 60,
      min: 1,
      description: "Seconds a joining node waits for the sessions before it tries another member",
    },
    antiEntropyInterval: {
      type: "integer",
      default: 60,
      min: 0,
      description:
        "Seconds between digest comparisons with a random member (0: only on reconnection)",
    },
    ...javaTuning(
      "sendAllSessions",
      "sendAllSessionsSize",
      "sendAllSessionsWaitTime",
      "stateTimestampDrop",
      "enableStatistics",
      "notifySessionListenersOnReplication",
      "notifyContainerListenersOnReplication",
      "recordAllActions",
    ),
  },
  create: (init, components) => {
    return new DeltaManager({
      ...managerBase(components, "DeltaManager"),
      stateTransferTimeout: init.stateTransferTimeout,
      maxInactiveInterval: init.maxInactiveInterval,
      expireSessionsOnShutdown: init.expireSessionsOnShutdown,
      notifyListenersOnReplication: init.notifyListenersOnReplication,
      processExpiresFrequency: init.processExpiresFrequency,
      maxActiveSessions: init.maxActiveSessions,
      maxPartitionTime: init.maxPartitionTime,
      antiEntropyInterval: init.antiEntropyInterval,
    });
  },
});
