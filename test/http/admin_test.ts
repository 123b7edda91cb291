/**
 * The admin surface and the HTTP bounds: probes for every client; status and metrics on the app
 * port only for a local operator no proxy stands in for; on the `admin` listener only (with its
 * bearer token) when there is one; 413 past `http.maxBodyBytes`; a drain that answers the
 * request in flight; a node without `cluster` that runs alone.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { type ClusterNode, startNode } from "../../src/node/node.ts";
import { detectRuntime } from "../../src/runtime/detect.ts";
import { REPO_ROOT } from "../../src/testing/memory_config.ts";
import { release, slowEntered } from "./fixtures/slow_app.ts";

const APP = { path: "/", module: "./test/http/fixtures/slow_app.ts" };

function aloneConfig(extra: Record<string, unknown> = {}) {
  return loadConfig(
    {
      jvmRoute: "a1",
      http: { host: "127.0.0.1", port: 0, maxBodyBytes: 1000 },
      apps: [APP],
      ...extra,
    },
    { baseDir: REPO_ROOT },
  );
}

/** One HTTP/1.1 request with the target exactly as given; resolves to status and body. */
function raw(
  url: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  const lines = Object.entries({ host: "localhost", connection: "close", ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`).join("");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${target} HTTP/1.1\r\n${lines}\r\n`);
    });
    let text = "";
    socket.on("data", (d) => text += d);
    socket.on("error", reject);
    socket.on("close", () => {
      const status = Number(text.split(" ")[1]);
      resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
  });
}

describe("admin on the app port (no admin listener)", () => {
  let node: ClusterNode;
  before(async () => {
    node = await startNode(aloneConfig(), { logger: silentLogger(), host: true });
  });
  after(() => node.stop());

  it("answers the probes to any client, proxied or not", async () => {
    const url = node.url as string;
    assert.deepEqual(await raw(url, "/_conclave/live", { "x-forwarded-for": "203.0.113.9" }), {
      status: 200,
      body: "live",
    });
    const ready = await fetch(`${url}/_conclave/ready`, { headers: { via: "1.1 proxy" } });
    assert.deepEqual([ready.status, await ready.text()], [200, "ready"]);
  });

  it("serves status to a local operator", async () => {
    const status = await fetch(`${node.url}/_conclave/status`);
    assert.equal(status.status, 200);
    assert.equal((await status.json() as { jvmRoute: string }).jvmRoute, "a1");
  });

  for (const header of ["forwarded", "x-forwarded-for", "x-real-ip", "via"]) {
    it(`refuses status and metrics to a request carrying ${header}`, async () => {
      for (const path of ["/_conclave/status", "/_conclave/metrics"]) {
        const response = await fetch(`${node.url}${path}`, { headers: { [header]: "x" } });
        assert.equal(response.status, 403, `${path} with ${header}`);
        await response.body?.cancel();
      }
    });
  }

  it("refuses a target that only resolves to the admin path", async (t) => {
    if (detectRuntime().name === "bun") {
      // Bun.serve resolves dot segments before the handler sees the request: the raw target is
      // not visible, so the proxy-header rule and the balancer's own deny rule must hold.
      t.skip("Bun normalizes the request target before the handler sees it");
      console.log("# skipped on Bun: the raw request target is not visible to the handler");
      return;
    }
    assert.equal((await raw(node.url as string, "/x/../_conclave/status")).status, 403);
    assert.equal((await raw(node.url as string, "/_conclave/./status")).status, 403);
    assert.equal((await raw(node.url as string, "/_conclave/status")).status, 200);
  });

  it("hands an app a body within maxBodyBytes and answers 413 beyond it", async () => {
    const ok = await fetch(`${node.url}/echo`, { method: "POST", body: "x".repeat(1000) });
    assert.deepEqual([ok.status, await ok.text()], [200, "1000"]);
    const big = await fetch(`${node.url}/echo`, { method: "POST", body: "x".repeat(1001) });
    assert.equal(big.status, 413);
    await big.body?.cancel();
    // No length announced: the body is counted as it arrives.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 3; i++) controller.enqueue(new Uint8Array(600));
        controller.close();
      },
    });
    const streamed = await fetch(`${node.url}/echo`, {
      method: "POST",
      body: chunked,
      duplex: "half",
    } as RequestInit);
    assert.equal(streamed.status, 413);
    await streamed.body?.cancel();
  });

  it("runs alone without a cluster: no channel port, no members, sessions local", () => {
    assert.equal(node.config.cluster.alone, true);
    assert.equal(node.config.cluster.channel.membership.className, "MemoryMembership");
    assert.deepEqual(node.members(), []);
    assert.equal(node.managers.size, 1);
  });
});

describe("admin on its own listener, with a token", () => {
  let node: ClusterNode;
  before(async () => {
    node = await startNode(
      aloneConfig({ admin: { host: "127.0.0.1", port: 0, token: "s3cret-token" } }),
      { logger: silentLogger(), host: true },
    );
  });
  after(() => node.stop());

  it("answers 404 for operator paths on the app port, the probes still", async () => {
    const status = await fetch(`${node.url}/_conclave/status`);
    assert.equal(status.status, 404);
    await status.body?.cancel();
    assert.equal((await fetch(`${node.url}/_conclave/live`)).status, 200);
  });

  it("asks for the bearer token, and serves with it", async () => {
    const admin = node.adminUrl as string;
    assert.ok(admin);
    const none = await fetch(`${admin}/_conclave/status`);
    assert.equal(none.status, 401);
    await none.body?.cancel();
    const wrong = await fetch(`${admin}/_conclave/metrics`, {
      headers: { authorization: "Bearer s3cret-tokeX" },
    });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const right = await fetch(`${admin}/_conclave/status`, {
      headers: { authorization: "Bearer s3cret-token" },
    });
    assert.equal(right.status, 200);
    assert.equal((await right.json() as { jvmRoute: string }).jvmRoute, "a1");
    assert.equal((await fetch(`${admin}/_conclave/ready`)).status, 200, "probes need no token");
  });
});

describe("drain", () => {
  it("turns ready to 503, accepts no new connection and answers the request in flight", async () => {
    const node = await startNode(
      aloneConfig({ admin: { host: "127.0.0.1", port: 0 } }),
      { logger: silentLogger(), host: true },
    );
    const url = node.url as string;
    const slow = fetch(`${url}/slow`);
    await slowEntered;
    const stopped = node.stop();
    const ready = await fetch(`${node.adminUrl}/_conclave/ready`);
    assert.deepEqual([ready.status, await ready.text()], [503, "draining"]);
    await assert.rejects(raw(url, "/"), "no new connection");
    release();
    const answer = await slow;
    assert.deepEqual([answer.status, await answer.text()], [200, "slow done"]);
    await stopped;
  });
});
