/**
 * `conclave/hono`: the Hono example on two nodes; the counter a client starts on one node
 * carries on on the other with the same cookie (rebound to the serving node), a request that
 * only reads creates no session, and an invalidated session is gone everywhere.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type HttpServer, serve } from "../../src/http/serve.ts";
import type { ClusterNode } from "../../src/kernel/node.ts";
import { conclaveSession } from "../../src/library/hono.ts";
import { createApp } from "../../examples/hono/app.ts";
import { startTwoNodes } from "./cluster.ts";
import { middlewareCases } from "./middleware_cases.ts";

describe("conclave/hono", () => {
  const nodes: ClusterNode[] = [];
  const servers: HttpServer[] = [];
  const urls: string[] = [];
  before(async () => {
    nodes.push(...await startTwoNodes());
    for (const node of nodes) {
      const app = createApp(node);
      const server = await serve("127.0.0.1", 0, async (request) => await app.fetch(request));
      servers.push(server);
      urls.push(server.url);
    }
  });
  after(async () => {
    for (const server of servers) await server.close();
    for (const node of nodes) await node.stop();
  });

  middlewareCases(nodes, urls);

  it("refuses an app path the node does not serve", () => {
    assert.throws(() => conclaveSession(nodes[0], { path: "/shop" }), {
      code: "APP_ERR_LOAD",
      message: /no app at "\/shop"/,
    });
  });
});
