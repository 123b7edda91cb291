/**
 * Library mode's per-request session on one node: the lazy session creates nothing until the
 * app writes, `changeId`/`invalidate` give the right cookie, and a valve that answers in the
 * app's place is honoured by the Hono and Fastify middleware.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Fastify from "fastify";
import { Hono } from "hono";
import type { Exchange, Valve } from "../../src/interfaces/valve.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import type { ClusterNode } from "../../src/kernel/node.ts";
import { type AppBinding, bindApp } from "../../src/library/app.ts";
import { conclaveSession as fastifySession } from "../../src/library/fastify.ts";
import { type ConclaveEnv, conclaveSession as honoSession } from "../../src/library/hono.ts";
import { SessionRequest } from "../../src/session/request.ts";
import { DeltaManager } from "../../plugins/manager/delta/manager.ts";

/** A node of one: a local DeltaManager for `/` and the given valves. */
function soloNode(valves: Valve[] = []): ClusterNode {
  const manager = new DeltaManager({
    name: "/",
    channel: {
      send: () => Promise.resolve(),
      getMembers: () => [],
      addChannelListener() {},
      addMembershipListener() {},
    },
    clock: { now: Date.now, setTimeout: () => () => {}, setInterval: () => () => {} },
    logger: silentLogger(),
    jvmRoute: "n1",
    nodeId: "00".repeat(16),
    sendOptions: 0,
    stateTransferTimeout: 60,
    maxInactiveInterval: 1800,
    expireSessionsOnShutdown: false,
    processExpiresFrequency: 60_000,
  });
  return {
    jvmRoute: "n1",
    managers: new Map([["/", manager]]),
    config: {
      apps: [{ path: "/", distributable: true, cookieName: "JSESSIONID", secure: false }],
      cluster: { alone: false },
    },
    valves,
    logger: silentLogger(),
  } as unknown as ClusterNode;
}

function request(app: AppBinding, cookie?: string): SessionRequest {
  return new SessionRequest(app, cookie === undefined ? undefined : `JSESSIONID=${cookie}`);
}

describe("library mode: one request's session", () => {
  it("creates no session until the app writes", () => {
    const app = bindApp(soloNode());
    const r = request(app);
    assert.equal(r.session.get("n"), undefined);
    assert.deepEqual(r.session.names(), []);
    assert.equal(r.session.isNew, true);
    r.session.delete("n");
    r.session.invalidate();
    assert.equal(app.manager.sessionCount, 0);
    assert.equal(r.setCookie(), undefined);
    r.session.set("n", 1);
    assert.equal(app.manager.sessionCount, 1);
    assert.equal(r.setCookie(), `JSESSIONID=${r.session.id}; Path=/; HttpOnly; SameSite=Lax`);
  });

  it("reads an existing session without a new cookie, and re-keys it with changeId", async () => {
    const app = bindApp(soloNode(), { secure: true, cookieName: "SID" });
    const first = new SessionRequest(app, undefined);
    first.session.set("user", "ada");
    const id = first.session.id;
    await app.manager.requestCompleted(id);

    const second = new SessionRequest(app, `SID=${id}`);
    assert.equal(second.session.get("user"), "ada");
    assert.equal(second.session.isNew, false);
    assert.equal(second.setCookie(), undefined);
    const changed = second.session.changeId();
    assert.notEqual(changed, id);
    assert.equal(second.setCookie(), `SID=${changed}; Path=/; HttpOnly; SameSite=Lax; Secure`);
    assert.equal(app.manager.findSession(id), undefined, "the old id is gone");
    assert.equal(app.manager.findSession(changed)?.attributes.get("user"), "ada");
  });

  it("expires the cookie of an invalidated session and never serves it again", () => {
    const app = bindApp(soloNode());
    const first = request(app);
    first.session.set("n", 1);
    const id = first.session.id;
    const second = request(app, id);
    second.session.invalidate();
    assert.equal(second.setCookie(), "JSESSIONID=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    assert.throws(() => second.session.get("n"), { code: "SESSION_ERR_INVALIDATED" });
    const fresh = second.getSession();
    assert.notEqual(fresh?.id, id, "a new session, not the invalidated one");
    assert.equal(fresh?.get("n"), undefined);
  });
});

/** A valve that answers every request itself. */
const gate: Valve = {
  invoke: (_exchange: Exchange, _next: () => Promise<Response>) =>
    Promise.resolve(new Response("closed", { status: 503, headers: { "x-gate": "1" } })),
};

describe("library mode: a valve that answers in the app's place", () => {
  it("wins over the Hono route", async () => {
    const app = new Hono<ConclaveEnv>();
    app.use(honoSession(soloNode([gate])));
    app.get("/", (c) => c.text("open"));
    const response = await app.request("/");
    assert.equal(response.status, 503);
    assert.equal(await response.text(), "closed");
  });

  it("wins over the Fastify route", async () => {
    const app = Fastify();
    await app.register(fastifySession, { node: soloNode([gate]) });
    let reached = false;
    app.get("/", () => {
      reached = true;
      return "open";
    });
    const response = await app.inject({ method: "GET", url: "/" });
    assert.equal(response.statusCode, 503);
    assert.equal(response.body, "closed");
    assert.equal(response.headers["x-gate"], "1");
    assert.equal(reached, false);
    await app.close();
  });
});
