/**
 * `TcpFailureDetector` (Tomcat's `org.apache.catalina.tribes.group.interceptors.TcpFailureDetector`):
 * verifies over TCP before a member is added or removed, and at once when a connection to it
 * breaks.
 *
 * ```json
 * { "className": "TcpFailureDetector", "connectTimeout": 1000 }
 * ```
 *
 * @module
 */
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { javaTuning } from "../../../src/kernel/tuning.ts";
import { nodeSockets } from "../../../src/runtime/node_sockets.ts";
import { TcpFailureDetector } from "./detector.ts";

export { TcpFailureDetector };

export default definePlugin({
  kind: "interceptor",
  name: "interceptor/tcp-failure-detector",
  shortNames: ["TcpFailureDetector"],
  aliases: ["org.apache.catalina.tribes.group.interceptors.TcpFailureDetector"],
  attributes: {
    connectTimeout: {
      type: "integer",
      default: 1000,
      min: 1,
      description: "ms to wait for a member's receiver to accept",
    },
    removeSuspectsTimeout: {
      type: "integer",
      default: 300,
      min: -1,
      description: "s a silent member that still accepts connections is kept; -1 forever",
    },
    ...javaTuning("performSendTest", "performReadTest", "readTestTimeout", "optionFlag"),
  },
  create: (init, { clock, logger, sockets }) =>
    new TcpFailureDetector({
      connectTimeout: init.connectTimeout,
      removeSuspectsTimeout: init.removeSuspectsTimeout < 0
        ? -1
        : init.removeSuspectsTimeout * 1000,
      sockets: sockets ?? nodeSockets,
      clock,
      logger,
    }),
});
