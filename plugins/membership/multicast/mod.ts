/**
 * `McastService` (Tomcat's `org.apache.catalina.tribes.membership.McastService`): membership by
 * UDP multicast heartbeats.
 *
 * ```json
 * { "className": "McastService", "address": "228.0.0.4", "port": 45564, "frequency": 500,
 *   "dropTime": 3000, "bind": "127.0.0.1", "ttl": 1, "secret": "${CONCLAVE_CLUSTER_SECRET}" }
 * ```
 * Tomcat's defaults, except that `bind` defaults to 127.0.0.1 and `ttl` to 1: multicast stays on
 * this host until you name the interface the cluster lives on.
 *
 * @module
 */
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { javaTuning } from "../../../src/kernel/tuning.ts";
import { nodeSockets } from "../../../src/runtime/node_sockets.ts";
import { McastService } from "./service.ts";

export { McastService };

export default definePlugin({
  kind: "membership",
  name: "membership/multicast",
  shortNames: ["McastService"],
  aliases: ["org.apache.catalina.tribes.membership.McastService"],
  attributes: {
    address: { type: "string", default: "228.0.0.4", description: "Multicast group" },
    port: { type: "integer", default: 45564, min: 1, max: 65535, description: "Multicast port" },
    frequency: { type: "integer", default: 500, min: 10, description: "Heartbeat period, ms" },
    dropTime: {
      type: "integer",
      default: 3000,
      min: 20,
      description: "Silence before a member is dropped, ms",
    },
    bind: {
      type: "string",
      default: "127.0.0.1",
      description: "Interface address to join on and send from",
    },
    ttl: { type: "integer", default: 1, min: 0, max: 255, description: "Multicast TTL" },
    domain: { type: "string", default: "", description: "Members of other domains are ignored" },
    localLoopbackDisabled: {
      type: "boolean",
      default: false,
      description: "Do not loop datagrams back to this host",
    },
    secret: {
      type: "string",
      default: "",
      description: "Shared secret: heartbeats carry an HMAC-SHA256 and unsigned ones are dropped",
    },
    recoveryCounter: {
      type: "integer",
      default: 10,
      min: 0,
      description: "Tomcat's recovery attempts; heartbeats are retried every period",
    },
    recoverySleepTime: {
      type: "integer",
      default: 5000,
      min: 0,
      description: "Tomcat's recovery pause; heartbeats are retried every period",
    },
    ...javaTuning("soTimeout", "mcastClusterDomain"),
  },
  create: (init, { clock, logger, localMember, sockets }) =>
    new McastService({
      local: localMember,
      address: init.address,
      port: init.port,
      frequency: init.frequency,
      dropTime: init.dropTime,
      bind: init.bind,
      ttl: init.ttl,
      domain: init.domain || (localMember.domain ?? ""),
      localLoopbackDisabled: init.localLoopbackDisabled,
      secret: init.secret || undefined,
      sockets: sockets ?? nodeSockets,
      clock,
      logger,
    }),
});
