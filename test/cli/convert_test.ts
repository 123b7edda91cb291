import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { convertCommand, convertServerXml } from "../../src/cli/convert.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { ConclaveError } from "../../src/errors.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { createNode } from "../../src/node/node.ts";

const here = dirname(fileURLToPath(import.meta.url));
const xmlFile = join(here, "fixtures/tomcat-server.xml");

describe("conclave convert", () => {
  it("turns Tomcat's cluster-howto <Cluster> into a cluster.json that builds a node", async () => {
    const notes: string[] = [];
    const config = convertServerXml(readFileSync(xmlFile, "utf8"), notes) as {
      jvmRoute: string;
      cluster: Record<string, unknown> & { channel: Record<string, unknown> };
    };
    assert.equal(config.jvmRoute, "node1");
    assert.equal(config.cluster.channelSendOptions, 8);
    assert.deepEqual(config.cluster.channel.membership, {
      className: "org.apache.catalina.tribes.membership.McastService",
      address: "228.0.0.4",
      port: 45564,
      frequency: 500,
      dropTime: 3000,
    });
    assert.equal(
      (config.cluster.channel.sender as { transport: { className: string } }).transport.className,
      "org.apache.catalina.tribes.transport.nio.PooledParallelSender",
    );
    assert.equal((config.cluster.channel.interceptors as unknown[]).length, 2);
    assert.ok(notes.some((n) => /FarmWarDeployer/.test(n) || /Deployer/.test(n)));
    assert.ok(notes.some((n) => /McastService without bind/.test(n)));
    // Every class and attribute resolves: the node assembles (it is not started).
    const node = await createNode(
      loadConfig({
        ...config,
        apps: [{ path: "/", module: "./examples/session-counter/app.ts", distributable: true }],
      }, { baseDir: join(here, "../..") }),
      { logger: silentLogger() },
    );
    assert.equal(node.jvmRoute, "node1");
    assert.equal(node.valves.length, 2);
  });

  it("keeps Member children of StaticMembershipInterceptor as members", () => {
    const config = convertServerXml(`<Engine jvmRoute="a"><Cluster className="SimpleTcpCluster">
      <Channel className="GroupChannel"><Interceptor className="org.apache.catalina.tribes.group.interceptors.StaticMembershipInterceptor">
      <Member className="org.apache.catalina.tribes.membership.StaticMember" host="192.0.2.10" port="4000" uniqueId="{0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15}"/>
      </Interceptor></Channel></Cluster></Engine>`) as {
      cluster: { channel: { interceptors: { members: Record<string, unknown>[] }[] } };
    };
    assert.deepEqual(config.cluster.channel.interceptors[0].members[0], {
      className: "org.apache.catalina.tribes.membership.StaticMember",
      host: "192.0.2.10",
      port: 4000,
      uniqueId: "{0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15}",
    });
  });

  it("carries the HTTP Connector over as http, and says a node needs apps to serve anything", async () => {
    const warned: string[] = [];
    let printed = "";
    assert.equal(
      await convertCommand([xmlFile], (line) => printed += line, (l) => warned.push(l)),
      0,
    );
    const config = JSON.parse(printed) as { http?: unknown; apps?: unknown };
    assert.deepEqual(config.http, { port: 8080 }, "the fixture's <Connector port=8080>");
    assert.equal(config.apps, undefined);
    assert.ok(
      warned.some((l) => /No "apps".*serves nothing.*"apps": \[\{ "path": "\/"/.test(l)),
      warned.join("\n"),
    );

    const notes: string[] = [];
    const bare = convertServerXml(
      `<Engine jvmRoute="a"><Connector port="8009" protocol="AJP/1.3"/>
      <Cluster className="SimpleTcpCluster"/></Engine>`,
      notes,
    );
    assert.equal(bare.http, undefined, "an AJP connector is not HTTP");
    assert.ok(notes.some((n) => /No HTTP <Connector>/.test(n)));
    const bound = convertServerXml(
      `<Engine jvmRoute="a"><Connector port="9090" address="192.0.2.5"/>
      <Cluster className="SimpleTcpCluster"/></Engine>`,
    );
    assert.deepEqual(bound.http, { port: 9090, host: "192.0.2.5" });
  });

  it("answers bad input with coded errors", async () => {
    assert.throws(
      () => convertServerXml("<Engine><Cluster"),
      (e: unknown) => e instanceof ConclaveError && e.code === "CLI_ERR_CONVERT",
    );
    assert.throws(() => convertServerXml("<Server/>"), /No <Cluster> element/);
    await assert.rejects(async () => await convertCommand([]), /exactly one argument/);
    await assert.rejects(
      async () => await convertCommand([join(here, "absent.xml")], () => {}, () => {}),
      (e: unknown) => e instanceof ConclaveError && e.code === "CONFIG_ERR_FILE_READ",
    );
  });
});
