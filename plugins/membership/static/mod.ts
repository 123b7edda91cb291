/**
 * `StaticMembershipService` (Tomcat's `org.apache.catalina.tribes.membership.StaticMembershipService`,
 * and `StaticMembershipInterceptor` with `Member` children, which the kernel moves into the
 * membership slot): a fixed member list, heartbeats over the channel's transport.
 *
 * ```json
 * { "className": "StaticMembershipService", "frequency": 500, "dropTime": 3000,
 *   "members": [ { "host": "node1.internal", "port": 4000 }, { "host": "node2.internal", "port": 4000 } ] }
 * ```
 * `uniqueId` per member is optional (Tomcat's `{0,1,...}` form or 32 hex digits). One list can
 * serve the whole cluster: a node skips its own entry.
 *
 * @module
 */
import type { Components } from "../../../src/interfaces/plugin.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { describeValue } from "../../../src/errors.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { javaTuning } from "../../../src/kernel/tuning.ts";
import type { HeartbeatOptions } from "../../../src/membership/heartbeat.ts";
import { type StaticEntry, StaticMembershipService } from "./service.ts";

export { StaticMembershipService };
export type { StaticEntry };

function invalid(components: Components, path: string, found: unknown, expected: string): Error {
  return components.invalid?.(path, describeValue(found), expected) ??
    new Error(`Invalid ${path}: found ${describeValue(found)}, expected ${expected}`);
}

/** Checks `members`: a list of `{ host, port, uniqueId? }`. */
export function parseMembers(raw: unknown, components: Components): StaticEntry[] {
  if (!Array.isArray(raw)) throw invalid(components, "members", raw, "a list of { host, port }");
  return raw.map((item, i) => {
    const at = `members[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw invalid(components, at, item, "an object { host, port, uniqueId? }");
    }
    const { host, port, uniqueId, ...rest } = item as Record<string, unknown>;
    const extra = Object.keys(rest).filter((k) => k !== "className");
    if (extra.length > 0) {
      throw invalid(
        components,
        `${at}.${extra[0]}`,
        rest[extra[0]],
        "only host, port and uniqueId",
      );
    }
    if (typeof host !== "string" || host === "") {
      throw invalid(components, `${at}.host`, host, "a host name or address");
    }
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw invalid(components, `${at}.port`, port, "the member's receiver port, 1 to 65535");
    }
    let id: UniqueId | undefined;
    if (uniqueId !== undefined) {
      try {
        id = UniqueId.parse(String(uniqueId));
      } catch {
        throw invalid(
          components,
          `${at}.uniqueId`,
          uniqueId,
          '32 hex digits or Tomcat\'s "{0,1,...,15}"',
        );
      }
    }
    return { host, port, uniqueId: id };
  });
}

export default definePlugin({
  kind: "membership",
  name: "membership/static",
  shortNames: ["StaticMembershipService", "StaticMembershipInterceptor"],
  aliases: [
    "org.apache.catalina.tribes.membership.StaticMembershipService",
    "org.apache.catalina.tribes.group.interceptors.StaticMembershipInterceptor",
  ],
  attributes: {
    members: {
      type: "array",
      default: [],
      description: "The members: [{ host, port, uniqueId? }]",
    },
    frequency: { type: "integer", default: 500, min: 10, description: "Heartbeat period, ms" },
    dropTime: {
      type: "integer",
      default: 3000,
      min: 20,
      description: "Silence before a member is dropped, ms",
    },
    domain: { type: "string", default: "", description: "Members of other domains are ignored" },
    secret: {
      type: "string",
      default: "",
      description: "Shared secret: heartbeats carry an HMAC-SHA256 and unsigned ones are dropped",
    },
    ...javaTuning("expirationTime", "connectTimeout", "rpcTimeout", "useThread", "pingInterval"),
  },
  create: (init, components) =>
    new StaticMembershipService({
      ...heartbeatOptions(init, components),
      members: parseMembers(init.members, components),
    }),
});

/** The heartbeat options of a membership with these attributes (DNS membership shares them). */
export function heartbeatOptions(
  init: { frequency: number; dropTime: number; domain?: string; secret?: string },
  components: Components,
): HeartbeatOptions {
  return {
    local: components.localMember,
    frequency: init.frequency,
    dropTime: init.dropTime,
    domain: init.domain || (components.localMember.domain ?? ""),
    secret: init.secret || undefined,
    clock: components.clock,
    logger: components.logger,
  };
}
