/**
 * DnsMembershipService's configuration: names, servers and Tomcat's alias, each bad value a
 * coded error naming its path. No DNS server is needed: nothing here starts.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { afterEach, describe, it } from "node:test";
import { ConfigError } from "../../../src/errors.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { createNode } from "../../../src/node/node.ts";
import { resolvePlugin } from "../../../src/kernel/resolve.ts";
import { builtinPlugins } from "../../../src/node/builtins.ts";
import { pluginInit, testComponents } from "../../../src/testing/tcp_harness.ts";
import dnsPlugin, { DNS_NAME_VARIABLE, type DnsMembershipService } from "./mod.ts";

const PATH = "cluster.channel.membership";
const CLOUD = "org.apache.catalina.tribes.membership.cloud.";

function config(membership: Record<string, unknown>) {
  return {
    jvmRoute: "n1",
    cluster: { className: "SimpleTcpCluster", channel: { className: "GroupChannel", membership } },
  };
}

async function refused(membership: Record<string, unknown>): Promise<ConfigError> {
  const error = await createNode(config(membership), { logger: silentLogger() }).then(
    () => assert.fail("the configuration was accepted"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
  return error;
}

function accepted(membership: Record<string, unknown>) {
  return createNode(config(membership), { logger: silentLogger() });
}

describe("DnsMembershipService configuration", () => {
  const saved = process.env[DNS_NAME_VARIABLE];
  afterEach(() => {
    if (saved === undefined) delete process.env[DNS_NAME_VARIABLE];
    else process.env[DNS_NAME_VARIABLE] = saved;
  });

  it("is found by its short name and by Tomcat's CloudMembershipService", async () => {
    const site = {
      file: "cluster.json",
      baseDir: ".",
      path: PATH,
      builtins: await builtinPlugins(),
    };
    for (
      const name of [
        "DnsMembershipService",
        `${CLOUD}CloudMembershipService`,
      ]
    ) {
      const plugin = await resolvePlugin(name, "membership", site);
      assert.equal(plugin.name, "membership/dns", name);
    }
  });

  it("takes dnsName from DNS_MEMBERSHIP_SERVICE_NAME when absent, as Tomcat does", async () => {
    process.env[DNS_NAME_VARIABLE] = "tomcat-members.default.svc.cluster.local";
    for (const provider of ["DNSMembershipProvider", `${CLOUD}DNSMembershipProvider`]) {
      // Accepted in a whole configuration through Tomcat's names...
      await createNode(
        config({
          className: `${CLOUD}CloudMembershipService`,
          membershipProviderClassName: provider,
        }),
        { logger: silentLogger() },
      );
      // ...and looking up the variable's name.
      const made = dnsPlugin.create(
        pluginInit(dnsPlugin, { membershipProviderClassName: provider }),
        testComponents(),
      ) as DnsMembershipService;
      assert.equal(made.describe().dnsName, "tomcat-members.default.svc.cluster.local");
    }
  });

  it("refuses a missing dnsName with CONFIG_ERR_MISSING", async () => {
    delete process.env[DNS_NAME_VARIABLE];
    const error = await refused({ className: "DnsMembershipService" });
    assert.equal(error.code, "CONFIG_ERR_MISSING");
    assert.equal(error.path, `${PATH}.dnsName`);
    assert.match(error.message, /DNS_MEMBERSHIP_SERVICE_NAME/);
  });

  it("refuses a malformed dnsName with CONFIG_ERR_RANGE", async () => {
    for (
      const dnsName of ["not a name", "a..b", "-lead.test", "x".repeat(64) + ".test", "é.test"]
    ) {
      const error = await refused({ className: "DnsMembershipService", dnsName });
      assert.equal(error.code, "CONFIG_ERR_RANGE", dnsName);
      assert.equal(error.path, `${PATH}.dnsName`);
    }
    const long = Array.from({ length: 60 }, () => "abcd").join(".");
    assert.equal(
      (await refused({ className: "DnsMembershipService", dnsName: long })).code,
      "CONFIG_ERR_RANGE",
    );
  });

  it("refuses malformed dnsServers, naming the entry", async () => {
    const bad = ["dns.example", "127.0.0.1:0", "127.0.0.1:70000", "::1]:53", "[::1]:x", "1.2.3"];
    for (const server of bad) {
      const error = await refused({
        className: "DnsMembershipService",
        dnsName: "members.test",
        dnsServers: ["127.0.0.1:5353", server],
      });
      assert.equal(error.code, "CONFIG_ERR_RANGE", server);
      assert.equal(error.path, `${PATH}.dnsServers[1]`, server);
    }
    const notList = await refused({
      className: "DnsMembershipService",
      dnsName: "members.test",
      dnsServers: "127.0.0.1",
    });
    assert.equal(notList.code, "CONFIG_ERR_TYPE");
  });

  it("accepts IPv4 and IPv6 servers, with and without a port", async () => {
    await accepted({
      className: "DnsMembershipService",
      dnsName: "members.test.",
      dnsServers: ["127.0.0.1", "127.0.0.1:5353", "::1", "[::1]", "[::1]:5353"],
    });
  });

  it("refuses Tomcat's Kubernetes provider with CONFIG_ERR_CLASSNAME_UNSUPPORTED", async () => {
    for (
      const provider of [
        "kubernetes",
        `${CLOUD}KubernetesMembershipProvider`,
      ]
    ) {
      const error = await refused({
        className: `${CLOUD}CloudMembershipService`,
        dnsName: "members.test",
        membershipProviderClassName: provider,
      });
      assert.equal(error.code, "CONFIG_ERR_CLASSNAME_UNSUPPORTED", provider);
      assert.match(error.message, /DNSMembershipProvider/);
    }
  });
});
