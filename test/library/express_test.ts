/**
 * `conclave/express`: the Express example on two nodes; the counter a client starts on one
 * node carries on on the other with the same cookie, the session is rebound to the serving
 * node, a destroyed session is gone everywhere, and the store's other methods see the cluster.
 */
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type session from "express-session";
import type { ClusterNode } from "../../src/kernel/node.ts";
import { ConclaveStore } from "../../src/library/express.ts";
import { createApp } from "../../examples/express/app.ts";
import { cookieOf, get, startTwoNodes } from "./cluster.ts";

interface Counter {
  node: string;
  counter: number;
  session: string;
}

/** The session id inside express-session's signed cookie `connect.sid=s%3A<id>.<signature>`. */
function idOf(cookie: string): string {
  const value = decodeURIComponent(cookie.split("=")[1]).slice("s:".length);
  return value.slice(0, value.lastIndexOf("."));
}

function call<T>(fn: (cb: (err: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => err ? reject(err) : resolve(value)));
}

describe("conclave/express", () => {
  let nodes: ClusterNode[] = [];
  const servers: Server[] = [];
  const urls: string[] = [];
  before(async () => {
    nodes = await startTwoNodes();
    for (const node of nodes) {
      const server = createApp(node, "test-secret").listen(0, "127.0.0.1");
      await new Promise<void>((resolve) => server.once("listening", resolve));
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  after(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const node of nodes) await node.stop();
  });

  it("counts on node A, then carries on on node B with the same cookie", async () => {
    const first = await get<Counter>(`${urls[0]}/`);
    assert.equal(first.body.counter, 1);
    const cookie = cookieOf(first);
    assert.match(idOf(cookie), /^[0-9a-f]{32}\.n1$/, "a Conclave id from genid");
    const second = await get<Counter>(`${urls[0]}/`, cookie);
    assert.equal(second.body.counter, 2);

    const failover = await get<Counter>(`${urls[1]}/`, cookie);
    assert.equal(failover.body.node, "n2");
    assert.equal(failover.body.counter, 3, "the counter carried on");
    const rebound = cookieOf(failover);
    const base = idOf(cookie).split(".")[0];
    assert.equal(idOf(rebound), `${base}.n2`, "the session moved to n2's route");

    // Sent back to n1 with n2's id: a failover the other way.
    const back = await get<Counter>(`${urls[0]}/`, rebound);
    assert.equal(back.body.counter, 4);
    assert.equal(idOf(cookieOf(back)), `${base}.n1`);
    const again = await get<Counter>(`${urls[0]}/`, cookieOf(back));
    assert.equal(again.body.counter, 5);
    assert.deepEqual(again.setCookies, [], "no new cookie for a session on its own node");
  });

  it("destroys a session on every node", async () => {
    const cookie = cookieOf(await get<Counter>(`${urls[0]}/`));
    await get(`${urls[1]}/logout`, cookie);
    const again = await get<Counter>(`${urls[0]}/`, cookie);
    assert.equal(again.body.counter, 1, "a new session");
    assert.notEqual(idOf(cookieOf(again)), idOf(cookie));
  });

  it("counts, lists and clears the sessions of the cluster", async () => {
    const store = new ConclaveStore(nodes[1]);
    const cookie = cookieOf(await get<Counter>(`${urls[0]}/`));
    const all = await call<{ [sid: string]: session.SessionData } | null>((cb) => store.all(cb));
    const listed = all?.[idOf(cookie)] as { counter?: number } | undefined;
    assert.equal(listed?.counter, 1, "n2 lists the session n1 created");
    assert.equal(await call<number>((cb) => store.length(cb)), Object.keys(all ?? {}).length);
    await call((cb) => store.clear(cb));
    assert.equal(await call<number>((cb) => store.length(cb)), 0);
    assert.equal(nodes[0].managers.get("/")?.sessionCount, 0, "cleared on n1 too");
  });

  it("replicates a touch, and drops a save of a session ended elsewhere", async () => {
    const cookie = cookieOf(await get<Counter>(`${urls[0]}/`));
    const id = idOf(cookie);
    const [a, b] = nodes.map((n) => new ConclaveStore(n, { touchAfter: 0, rebind: false }));
    const data = await call<session.SessionData | null>((cb) => a.get(id, cb));
    assert.ok(data, "n1 has the session");
    const copy = nodes[1].managers.get("/")?.findSession(id);
    assert.ok(copy, "n2 holds a copy");
    (copy as { lastAccessedTime: number }).lastAccessedTime = 0; // only the touch can move it
    const touched = Date.now();
    await call((cb) => a.touch(id, data, () => cb(null)));
    assert.ok(copy.lastAccessedTime >= touched, "n2 saw the access");

    await call((cb) => b.destroy(id, cb));
    await call((cb) => a.set(id, { ...data, counter: 99 } as session.SessionData, cb));
    assert.equal(nodes[0].managers.get("/")?.findSession(id), undefined, "not brought back");
  });

  it("refuses ids that are not Conclave ids, naming genid", async () => {
    const store = new ConclaveStore(nodes[0]);
    const data = { cookie: { originalMaxAge: null } } as unknown as session.SessionData;
    await assert.rejects(call((cb) => store.set("abc", data, cb)), /genid: store\.genid/);
  });
});
