/**
 * `conclave/fastify`: the Fastify example on two nodes; the counter a client starts on one node
 * carries on on the other with the same cookie (rebound to the serving node), a request that
 * only reads creates no session, and an invalidated session is gone everywhere.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { ClusterNode } from "../../src/kernel/node.ts";
import { createApp } from "../../examples/fastify/app.ts";
import { cookieOf, get, startTwoNodes } from "./cluster.ts";
import { middlewareCases } from "./middleware_cases.ts";

describe("conclave/fastify", () => {
  const nodes: ClusterNode[] = [];
  const apps: FastifyInstance[] = [];
  const urls: string[] = [];
  before(async () => {
    nodes.push(...await startTwoNodes());
    for (const node of nodes) {
      const app = await createApp(node);
      urls.push(await app.listen({ host: "127.0.0.1", port: 0 }));
      apps.push(app);
    }
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const node of nodes) await node.stop();
  });

  middlewareCases(nodes, urls);

  it("carries on a session a hook added before the plugin created, with its cookie", async () => {
    const { conclaveSession } = await import("../../src/library/fastify.ts");
    const { default: Fastify } = await import("fastify");
    const app = Fastify();
    app.addHook("onRequest", (request, _reply, done) => {
      request.session.set("early", 1);
      done();
    });
    await app.register(conclaveSession, { node: nodes[0] });
    app.get("/early", (request) => ({ early: request.session.get("early") ?? null }));
    try {
      const reply = await get<{ early: number | null }>(
        `${await app.listen({ host: "127.0.0.1", port: 0 })}/early`,
      );
      assert.equal(reply.body.early, 1, "the route sees the hook's session");
      const id = cookieOf(reply).split("=")[1];
      assert.equal(nodes[1].managers.get("/")?.findSession(id)?.attributes.get("early"), 1);
    } finally {
      await app.close();
    }
  });

  it("refuses an app path the node does not replicate, at registration", async () => {
    const { conclaveSession } = await import("../../src/library/fastify.ts");
    const { default: Fastify } = await import("fastify");
    const app = Fastify();
    await assert.rejects(async () => {
      await app.register(conclaveSession, { node: nodes[0], path: "/shop" });
    }, { code: "APP_ERR_LOAD" });
    await app.close();
  });
});
