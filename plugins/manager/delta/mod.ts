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
import { ConclaveError } from "../../../src/kernel/errors.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
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
    processExpiresFrequency: {
      type: "integer",
      default: 10_000,
      min: 100,
      description: "How often idle sessions are expired, ms",
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
      "maxActiveSessions",
    ),
  },
  create: (init, components) => {
    const { channel, clock, logger, localMember, contextName, sendOptions } = components;
    if (!channel) {
      throw new ConclaveError(
        "CHANNEL_ERR_PLUGIN_FAILED",
        "DeltaManager needs the cluster's channel",
      );
    }
    return new DeltaManager({
      name: contextName ?? "/",
      channel,
      clock,
      logger,
      jvmRoute: localMember.jvmRoute,
      nodeId: localMember.id.hex,
      sendOptions: sendOptions ?? SendOptionsDefault,
      stateTransferTimeout: init.stateTransferTimeout as number,
      maxInactiveInterval: init.maxInactiveInterval as number,
      expireSessionsOnShutdown: init.expireSessionsOnShutdown as boolean,
      notifyListenersOnReplication: init.notifyListenersOnReplication as boolean,
      processExpiresFrequency: init.processExpiresFrequency as number,
    });
  },
});

const SendOptionsDefault = 8;
