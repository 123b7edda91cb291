/**
 * Host mode: two nodes serve the example counter app; a session created on one is served by the
 * other with its counter intact and a cookie rebound to the new node; bad cookies get a new
 * session; the admin status answers loopback clients.
 */
import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { memoryHostConfig, REPO_ROOT, seesAMember } from "../../src/testing/memory_config.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { type ClusterNode, startNode } from "../../src/node/node.ts";

function config(network: string, jvmRoute: string) {
  return memoryHostConfig(network, jvmRoute);
}

async function get(url: string, cookie?: string) {
  const response = await fetch(url, { headers: cookie ? { cookie } : {} });
  const body = await response.json() as { node: string; counter: number; session: string };
  return { body, setCookie: response.headers.get("set-cookie") ?? undefined };
}

function cookieOf(setCookie: string | undefined): string {
  assert.ok(setCookie, "a Set-Cookie header");
  return setCookie.split(";")[0];
}

describe("host mode", () => {
  const nodes: ClusterNode[] = [];
  const network = `host-${UniqueId.random().hex}`;
  before(async () => {
    const met: Promise<void>[] = [];
    for (const route of ["n1", "n2"]) {
      const node = await startNode(config(network, route), { logger: silentLogger(), host: true });
      met.push(seesAMember(node));
      nodes.push(node);
    }
    await Promise.all(met);
  });
  after(async () => {
    for (const node of nodes) await node.stop();
  });

  it("creates a session with SPEC's cookie, and counts on it", async () => {
    const first = await get(nodes[0].url as string);
    assert.equal(first.body.counter, 1);
    assert.match(
      first.setCookie ?? "",
      /^JSESSIONID=[0-9a-f]{32}\.n1; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    const cookie = cookieOf(first.setCookie);
    const second = await get(nodes[0].url as string, cookie);
    assert.equal(second.body.counter, 2);
    assert.equal(second.setCookie, undefined, "no new cookie for a known session");
  });

  it("serves the session on another node with its counter, rebinding the cookie there", async () => {
    const first = await get(nodes[0].url as string);
    const cookie = cookieOf(first.setCookie);
    const base = cookie.split("=")[1].split(".")[0];
    const failover = await get(nodes[1].url as string, cookie);
    assert.equal(failover.body.node, "n2");
    assert.equal(failover.body.counter, 2, "the counter survived");
    assert.equal(cookieOf(failover.setCookie), `JSESSIONID=${base}.n2`);
    const back = await get(nodes[1].url as string, cookieOf(failover.setCookie));
    assert.equal(back.body.counter, 3);
  });

  it("answers malformed or unknown session cookies with a new session", async () => {
    for (const bad of ["zzz", "0".repeat(31), `${"a".repeat(32)}.n1`, "x".repeat(10_000)]) {
      const result = await get(nodes[0].url as string, `JSESSIONID=${bad}`);
      assert.equal(result.body.counter, 1, `a new session for ${bad.slice(0, 40)}`);
      assert.ok(result.setCookie);
    }
  });

  it("gives a node that joins a running cluster the sessions, before it serves", async () => {
    const first = await get(nodes[0].url as string);
    const cookie = cookieOf(first.setCookie);
    const late = await startNode(config(network, "n3"), { logger: silentLogger(), host: true });
    try {
      const served = await get(late.url as string, cookie);
      assert.equal(served.body.node, "n3");
      assert.equal(served.body.counter, 2, "the session was there when the node opened its port");
    } finally {
      await late.stop();
    }
  });

  it("answers the admin status to loopback clients", async () => {
    const response = await fetch(`${nodes[0].url}/_conclave/status`);
    const status = await response.json() as {
      jvmRoute: string;
      members: { jvmRoute: string }[];
      apps: { path: string; sessions: number }[];
    };
    assert.equal(status.jvmRoute, "n1");
    assert.deepEqual(status.members.map((m) => m.jvmRoute), ["n2"]);
    assert.equal(status.apps[0].path, "/");
    assert.ok(status.apps[0].sessions >= 1);
  });
});

describe("host mode context", () => {
  it("hands an app a context it can take apart (getSession, jvmRoute, members used detached)", async () => {
    const network = `context-${UniqueId.random().hex}`;
    const apps = [{
      path: "/",
      module: "./test/http/fixtures/destructure_app.ts",
      distributable: true,
    }];
    const nodes: ClusterNode[] = [];
    try {
      for (const route of ["c1", "c2"]) {
        const node = await startNode(memoryHostConfig(network, route, apps), {
          logger: silentLogger(),
          host: true,
        });
        nodes.push(node);
      }
      await seesAMember(nodes[0]);
      const url = nodes[0].url as string;
      const first = await fetch(url);
      assert.deepEqual(await first.json(), { n: 1, jvmRoute: "c1", members: ["c2"] });
      const cookie = cookieOf(first.headers.get("set-cookie") ?? undefined);
      const second = await fetch(url, { headers: { cookie } });
      assert.deepEqual(await second.json(), { n: 2, jvmRoute: "c1", members: ["c2"] });
    } finally {
      for (const node of nodes) await node.stop();
    }
  });
});

describe("host mode metrics", () => {
  it("exposes Prometheus text with members, sessions and channel counters", async () => {
    const network = `metrics-${UniqueId.random().hex}`;
    const node = await startNode(config(network, "m1"), { logger: silentLogger(), host: true });
    try {
      await get(node.url as string);
      const text = await (await fetch(`${node.url}/_conclave/metrics`)).text();
      assert.match(text, /^# TYPE conclave_members gauge$/m);
      assert.match(text, /^conclave_sessions\{jvmRoute="m1",app="\/"\} 1$/m);
      assert.match(text, /^conclave_messages_sent_total\{jvmRoute="m1"\} \d+$/m);
      assert.match(text, /^conclave_replication_lag_ms\{jvmRoute="m1",stat="max"\} \d/m);
    } finally {
      await node.stop();
    }
  });
});

describe("host mode apps", () => {
  function appConfig(network: string, module?: string) {
    return memoryHostConfig(network, "solo", [
      { path: "/", ...(module ? { module } : {}), distributable: true },
    ]);
  }

  it("registers an app's exported sessionListener, and a new session after invalidate() in one request", async () => {
    const { events } = await import("./fixtures/listener_app.ts");
    const node = await startNode(
      appConfig(`listener-${UniqueId.random().hex}`, "./test/http/fixtures/listener_app.ts"),
      { logger: silentLogger(), host: true },
    );
    try {
      const first = await fetch(`${node.url}/`);
      const { id } = await first.json() as { id: string };
      assert.ok(events.includes(`created ${id} false`), events.join("; "));
      const cookie = (first.headers.get("set-cookie") ?? "").split(";")[0];
      const again = await fetch(`${node.url}/relogin`, { headers: { cookie } });
      const body = await again.json() as { old: string; new: string };
      assert.equal(body.old, id);
      assert.notEqual(body.new, id);
      assert.ok(events.includes(`destroyed ${id} invalidated`));
      assert.match(again.headers.get("set-cookie") ?? "", new RegExp(`^JSESSIONID=${body.new};`));
    } finally {
      await node.stop();
    }
  });

  it("answers an HTTP port taken when the host binds with NODE_ERR_START naming it", async () => {
    const holder = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => holder.once("listening", resolve));
    const taken = (holder.address() as AddressInfo).port;
    const config = loadConfig({
      jvmRoute: "n9",
      http: { host: "127.0.0.1", port: taken },
      apps: [{ path: "/", module: "./examples/session-counter/app.ts" }],
    }, { baseDir: REPO_ROOT });
    await assert.rejects(
      startNode(config, { logger: silentLogger(), host: true }),
      (e: unknown) => {
        const { code, message } = e as { code?: string; message: string };
        assert.equal(code, "NODE_ERR_START");
        assert.match(message, new RegExp(`127\\.0\\.0\\.1:${taken} \\(http\\.port in <code>\\)`));
        assert.match(message, /in use/);
        return true;
      },
    ).finally(() => new Promise((resolve) => holder.close(resolve)));
  });

  it("refuses to host an app without a module, naming the path (library mode needs none)", async () => {
    await assert.rejects(
      startNode(appConfig(`nomodule-${UniqueId.random().hex}`), {
        logger: silentLogger(),
        host: true,
      }),
      (e: unknown) =>
        (e as { code?: string }).code === "CONFIG_ERR_MISSING" &&
        (e as { path?: string }).path === "apps[0].module",
    );
  });
});

describe("host mode with two apps", () => {
  it("serves a Hono app as it is, and never lets one app's cookie reach the other's session", async () => {
    const network = `apps-${UniqueId.random().hex}`;
    const node = await startNode(
      memoryHostConfig(network, "two", [
        { path: "/", module: "./examples/session-counter/app.ts", distributable: true },
        { path: "/shop", module: "./test/http/fixtures/hono_app.ts", distributable: true },
      ]),
      { logger: silentLogger(), host: true },
    );
    try {
      const shop = await fetch(`${node.url}/shop/cart`);
      assert.deepEqual(await shop.json(), { node: "two", n: 1 });
      const shopCookie = (shop.headers.get("set-cookie") ?? "").split(";")[0];
      assert.match(shop.headers.get("set-cookie") ?? "", /Path=\/shop;/);
      const again = await fetch(`${node.url}/shop/cart`, { headers: { cookie: shopCookie } });
      assert.deepEqual(await again.json(), { node: "two", n: 2 });
      // The shop's session id sent to the root app: unknown there, so a new session.
      const root = await get(node.url as string, shopCookie);
      assert.equal(root.body.counter, 1);
      assert.notEqual(cookieOf(root.setCookie), shopCookie);
    } finally {
      await node.stop();
    }
  });
});
