/**
 * `MemoryMembership`: membership over the in-memory network, for tests and single-process demos.
 *
 * ```json
 * { "className": "MemoryMembership", "network": "demo", "frequency": 500, "dropTime": 3000 }
 * ```
 * Nodes whose memory plugins name the same `network` see each other. Not a Tomcat class.
 *
 * @module
 */
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { MemoryNetwork } from "./network.ts";
import { MemoryMembership } from "./memory_membership.ts";

export { MemoryMembership };

export default definePlugin({
  kind: "membership",
  name: "membership/memory",
  shortNames: ["MemoryMembership"],
  attributes: {
    network: { type: "string", default: "default", description: "Name of the in-memory network" },
    frequency: { type: "integer", default: 500, min: 1, description: "Heartbeat period, ms" },
    dropTime: {
      type: "integer",
      default: 3000,
      min: 1,
      description: "Silence before a member is dropped, ms",
    },
  },
  create: (init, { clock, logger, localMember }) =>
    new MemoryMembership({
      network: MemoryNetwork.named(init.network),
      local: localMember,
      frequency: init.frequency,
      dropTime: init.dropTime,
      clock,
      logger,
    }),
});
