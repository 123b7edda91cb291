/**
 * One request path behind four doors: host mode and the Express, Hono and Fastify doors give the
 * same cookie, rebind and expiry behaviour, on two nodes sharing a manual clock.
 */
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { waitFor } from "../../src/conformance/wait.ts";
import { hostApps } from "../../src/http/start.ts";
import { type HttpServer, serve } from "../../src/http/serve.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { ManualClock } from "../../src/kernel/manual_clock.ts";
import { type ClusterNode, createNode } from "../../src/node/node.ts";
import { memoryChannel, REPO_ROOT } from "../../src/testing/memory_config.ts";
import { createApp as expressApp } from "../../examples/express/app.ts";
import { createApp as fastifyApp } from "../../examples/fastify/app.ts";
import { createApp as honoApp } from "../../examples/hono/app.ts";

/** Seconds of inactivity after which every door's sessions expire. */
const TIMEOUT = 60;

interface Door {
  name: string;
  /** Serves `node`'s app; returns its URL and how to close it. */
  serve(node: ClusterNode): Promise<{ node: ClusterNode; url: string; close(): Promise<void> }>;
  /** The session id a `Set-Cookie` header carries. */
  idOf(setCookie: string): string;
}

const plainId = (setCookie: string) => setCookie.split(";")[0].split("=")[1];

const DOORS: Door[] = [
  {
    name: "host mode",
    idOf: plainId,
    async serve(node) {
      const hosted = await hostApps(node);
      return { node: hosted, url: hosted.url ?? "", close: async () => {} };
    },
  },
  {
    name: "conclave/express",
    // express-session's signed cookie: connect.sid=s%3A<id>.<signature>
    idOf: (setCookie) => {
      const value = decodeURIComponent(plainId(setCookie)).slice("s:".length);
      return value.slice(0, value.lastIndexOf("."));
    },
    async serve(node) {
      const server: Server = expressApp(node, "test-secret").listen(0, "127.0.0.1");
      await new Promise<void>((resolve) => server.once("listening", resolve));
      const { port } = server.address() as AddressInfo;
      return {
        node,
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    },
  },
  {
    name: "conclave/hono",
    idOf: plainId,
    async serve(node) {
      const app = honoApp(node);
      const server: HttpServer = await serve("127.0.0.1", 0, async (r) => await app.fetch(r));
      return { node, url: server.url, close: () => server.close() };
    },
  },
  {
    name: "conclave/fastify",
    idOf: plainId,
    async serve(node) {
      const app = await fastifyApp(node);
      const url = await app.listen({ host: "127.0.0.1", port: 0 });
      return { node, url, close: () => app.close() };
    },
  },
];

function config(network: string, jvmRoute: string) {
  return loadConfig({
    jvmRoute,
    http: { host: "127.0.0.1", port: 0 },
    apps: [{ path: "/", module: "./examples/session-counter/app.ts", distributable: true }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: 6, // a response waits until the other node applied the change
      // Expiry sweeps far apart: each door must refuse an idle session by itself.
      manager: {
        className: "DeltaManager",
        maxInactiveInterval: TIMEOUT,
        processExpiresFrequency: 3_600_000,
      },
      channel: memoryChannel(network),
    },
  }, { baseDir: REPO_ROOT });
}

interface Reply {
  counter: number;
  node: string;
  setCookie: string | undefined;
}

for (const door of DOORS) {
  describe(`the request path through ${door.name}`, () => {
    const clock = new ManualClock();
    const served: { node: ClusterNode; url: string; close(): Promise<void> }[] = [];

    before(async () => {
      const network = `doors-${UniqueId.random().hex}`;
      for (const route of ["n1", "n2"]) {
        const node = await createNode(config(network, route), { logger: silentLogger(), clock });
        await node.start();
        served.push(await door.serve(node));
      }
      await waitFor(clock, () => served.every((s) => s.node.members().length === 1), "members");
    });
    after(async () => {
      for (const s of served) {
        await s.close();
        await s.node.stop();
      }
    });

    /** GET / on node `i` with the session `cookie` (name=value). */
    async function hit(i: number, cookie?: string): Promise<Reply> {
      const response = await fetch(`${served[i].url}/`, {
        headers: cookie ? { cookie, accept: "application/json" } : { accept: "application/json" },
      });
      assert.equal(response.status, 200, await response.clone().text());
      const body = await response.json() as { counter: number; node: string };
      return { ...body, setCookie: response.headers.getSetCookie()[0] };
    }
    const pair = (setCookie: string) => setCookie.split(";")[0];

    it("sets the session cookie once, with the serving node's route", async () => {
      const first = await hit(0);
      assert.equal(first.counter, 1);
      assert.ok(first.setCookie, "a new session sets its cookie");
      assert.match(door.idOf(first.setCookie), /^[0-9a-f]{32}\.n1$/);
      assert.match(first.setCookie, /HttpOnly/i);
      const second = await hit(0, pair(first.setCookie));
      assert.equal(second.counter, 2);
      assert.equal(second.setCookie, undefined, "no new cookie for a known session");
    });

    it("rebinds a session served by another node to that node's route", async () => {
      const first = await hit(0);
      const cookie = pair(first.setCookie ?? "");
      const moved = await hit(1, cookie);
      assert.equal(moved.node, "n2");
      assert.equal(moved.counter, 2, "the counter carried on");
      assert.ok(moved.setCookie, "the new route's cookie");
      const [base] = door.idOf(first.setCookie ?? "").split(".");
      assert.equal(door.idOf(moved.setCookie), `${base}.n2`);
      assert.equal((await hit(1, pair(moved.setCookie))).counter, 3);
    });

    it("never serves a session idle past its timeout, on either node", async () => {
      const first = await hit(0);
      const cookie = pair(first.setCookie ?? "");
      for (let s = 0; s < TIMEOUT - 10; s++) await clock.advance(1000);
      assert.equal((await hit(0, cookie)).counter, 2, "alive before the timeout");
      for (let s = 0; s <= TIMEOUT; s++) await clock.advance(1000);
      for (const i of [1, 0]) {
        const fresh = await hit(i, cookie);
        assert.equal(fresh.counter, 1, `node ${i + 1} starts a new session`);
        assert.ok(fresh.setCookie);
        assert.notEqual(door.idOf(fresh.setCookie).split(".")[0], door.idOf(cookie).split(".")[0]);
      }
    });
  });
}
