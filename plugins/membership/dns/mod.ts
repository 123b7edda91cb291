/**
 * `DnsMembershipService`: members found through DNS (a Kubernetes headless service, or any name),
 * admitted only by their heartbeats. Tomcat's `CloudMembershipService` with
 * `membershipProviderClassName` `DNSMembershipProvider` is accepted as an alias, and Tomcat's
 * `DNS_MEMBERSHIP_SERVICE_NAME` environment variable is the default `dnsName`.
 *
 * ```json
 * { "className": "DnsMembershipService", "dnsName": "conclave.default.svc.cluster.local",
 *   "port": 4000, "refresh": 5000, "secret": "${CONCLAVE_CLUSTER_SECRET}" }
 * ```
 * `srv: true` reads SRV records (address and port); `dnsServers: ["192.0.2.53:53"]` asks those
 * servers instead of the system's resolver.
 *
 * @module
 */
import process from "node:process";
import type { Components } from "../../../src/interfaces/plugin.ts";
import { describeValue, type ErrorCode } from "../../../src/errors.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
import staticPlugin, { heartbeatOptions } from "../static/mod.ts";
import { DnsLookup, isDnsName, isDnsServer } from "./lookup.ts";
import { DnsMembershipService } from "./service.ts";

export { DnsLookup, DnsMembershipService };
export type { DnsState } from "./service.ts";

const CLOUD = "org.apache.catalina.tribes.membership.cloud.";
/** The values of Tomcat's `membershipProviderClassName` that mean DNS. */
const DNS_PROVIDERS = new Set([
  "",
  "dns",
  "DNSMembershipProvider",
  `${CLOUD}DNSMembershipProvider`,
]);
/** Tomcat's environment variable naming the service to look up. */
export const DNS_NAME_VARIABLE = "DNS_MEMBERSHIP_SERVICE_NAME";

function invalid(
  components: Components,
  path: string,
  found: unknown,
  expected: string,
  code: ErrorCode = "CONFIG_ERR_TYPE",
): Error {
  return components.invalid?.(path, describeValue(found), expected, code) ??
    new Error(`Invalid ${path}: found ${describeValue(found)}, expected ${expected}`);
}

/** `dnsName`, or Tomcat's environment variable when it is empty. */
export function parseDnsName(raw: unknown, components: Components): string {
  const name = raw === "" ? process.env[DNS_NAME_VARIABLE] ?? "" : raw;
  if (name === "") {
    throw invalid(
      components,
      "dnsName",
      name,
      `the DNS name whose records list the members (or ${DNS_NAME_VARIABLE} set)`,
      "CONFIG_ERR_MISSING",
    );
  }
  if (typeof name !== "string" || !isDnsName(name)) {
    throw invalid(
      components,
      "dnsName",
      name,
      "a DNS name: labels of letters, digits, - and _, separated by dots, 253 characters at most",
      "CONFIG_ERR_RANGE",
    );
  }
  return name;
}

/** `dnsServers`: a list of `address` or `address:port` (IPv6 in brackets with a port). */
export function parseDnsServers(raw: unknown, components: Components): string[] {
  if (!Array.isArray(raw)) {
    throw invalid(components, "dnsServers", raw, 'a list of servers such as ["127.0.0.1:5353"]');
  }
  if (raw.length > 16) {
    throw invalid(components, "dnsServers", raw, "16 servers at most", "CONFIG_ERR_RANGE");
  }
  raw.forEach((server, i) => {
    if (typeof server !== "string" || !isDnsServer(server)) {
      throw invalid(
        components,
        `dnsServers[${i}]`,
        server,
        'an IP address with an optional port: "192.0.2.53", "127.0.0.1:5353", "[::1]:53"',
        "CONFIG_ERR_RANGE",
      );
    }
  });
  return raw as string[];
}

// The heartbeat attributes are static membership's; `members` is what DNS replaces.
const { members: _members, ...heartbeatAttributes } = staticPlugin.attributes;

export default definePlugin({
  kind: "membership",
  name: "membership/dns",
  shortNames: ["DnsMembershipService"],
  aliases: [`${CLOUD}CloudMembershipService`],
  attributes: {
    dnsName: {
      type: "string",
      default: "",
      description:
        `Name whose A/AAAA (or SRV) records are the members; default $${DNS_NAME_VARIABLE}`,
    },
    port: {
      type: "integer",
      default: 0,
      min: 0,
      max: 65535,
      description: "Members' receiver port for A/AAAA records; 0: this node's receiver port",
    },
    srv: { type: "boolean", default: false, description: "SRV records give address and port" },
    refresh: { type: "integer", default: 5000, min: 50, description: "Lookup period, ms" },
    dnsServers: {
      type: "array",
      default: [],
      description: 'DNS servers to ask instead of the system\'s: ["127.0.0.1:5353"]',
    },
    maxAddresses: {
      type: "integer",
      default: 128,
      min: 1,
      max: 4096,
      description: "Addresses taken from one answer at most",
    },
    membershipProviderClassName: {
      type: "string",
      default: "",
      description: "Tomcat's CloudMembershipService provider: only DNSMembershipProvider",
    },
    readTimeout: {
      type: "integer",
      default: 1000,
      min: 10,
      max: 60_000,
      description: "A lookup not answered in this many ms fails (Tomcat's provider read timeout)",
    },
    ...heartbeatAttributes,
  },
  create: (init, components) => {
    const provider = init.membershipProviderClassName as string;
    if (!DNS_PROVIDERS.has(provider)) {
      throw invalid(
        components,
        "membershipProviderClassName",
        provider,
        'DNSMembershipProvider (Conclave has no Kubernetes API provider: point "dnsName" at a headless service)',
        "CONFIG_ERR_CLASSNAME_UNSUPPORTED",
      );
    }
    const dnsName = parseDnsName(init.dnsName, components);
    const servers = parseDnsServers(init.dnsServers, components);
    return new DnsMembershipService({
      ...heartbeatOptions(init, components),
      dnsName,
      srv: init.srv as boolean,
      port: init.port as number,
      refresh: init.refresh as number,
      maxAddresses: init.maxAddresses as number,
      lookup: new DnsLookup(servers, init.readTimeout as number),
    });
  },
});
