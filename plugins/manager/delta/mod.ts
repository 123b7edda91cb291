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
import { managerBase } from "../../../src/session/manager_components.ts";
import { javaTuning } from "../../../src/kernel/tuning.ts";
import { DeltaManager } from "./manager.ts";

export { DeltaManager };

export default definePlugin({
  kind: "manager",
  name: "manager/delta",
  shortNames: ["DeltaManager"],
  aliases: ["org.apache.catalina.ha.session.DeltaManager"],
  attributes: {
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
        "Seconds an invalidated session's tombstone is kept: after a longer partition it may return",
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
