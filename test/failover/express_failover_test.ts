/**
 * The Express door behind the shipped HAProxy configuration: three processes of
 * `examples/express/app.ts` (express-session with `conclave/express`), HAProxy routing by the
 * route inside express-session's signed cookie (`connect.sid=s%3A<id>.<route>.<signature>`).
 * A client sticks to one node; that node is killed with kill -9; another node carries the counter
 * on with no acknowledged increment lost, and the cookie it sends names its own route, so the
 * client sticks to it from then on.
 */
import assert from "node:assert/strict";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { added, LoggedProcess } from "../helpers/node_process.ts";
import { REPO, runtimeCommand } from "../helpers/runtime.ts";
import { type Answer, Client, findHaproxy, freePorts, runDir, startHaproxy } from "./harness.ts";

const haproxy = findHaproxy();
const noHaproxy = haproxy ? false : "haproxy is not installed (Debian: apt-get install haproxy)";
if (noHaproxy) console.log(`# skipped: ${noHaproxy}`);

/** The route inside express-session's signed cookie. */
function routeOf(cookie: string | undefined): string | undefined {
  const value = decodeURIComponent(cookie?.split("=")[1] ?? "");
  return /^s:[0-9a-f]{32}\.([A-Za-z0-9_-]+)\./.exec(value)?.[1];
}

describe("the Express door through HAProxy", () => {
  const started: LoggedProcess[] = [];
  after(() => Promise.all(started.map((p) => p.stop())));

  it(
    "routes by express-session's cookie and carries a session on after kill -9",
    { skip: noHaproxy, timeout: 60_000 },
    async () => {
      const dir = runDir("express");
      await mkdir(dir, { recursive: true });
      try {
        const ports = await freePorts(6);
        const http = ports.slice(0, 3);
        const receivers = ports.slice(3);
        const secret = crypto.randomUUID() + crypto.randomUUID();
        const { command, args } = runtimeCommand(join(REPO, "examples/express/app.ts"));
        const nodes = http.map((port, i) => {
          const jvmRoute = `node${i + 1}`;
          const proc = new LoggedProcess({
            name: `express ${jvmRoute}`,
            argv: [command, ...args],
            env: {
              JVM_ROUTE: jvmRoute,
              PORT: String(port),
              RECEIVER_PORT: String(receivers[i]),
              MEMBER_PORTS: receivers.join(","),
              LOG_LEVEL: "info",
              CONCLAVE_CLUSTER_SECRET: secret,
              SESSION_SECRET: "test-only-session-secret",
            },
          });
          started.push(proc);
          return { jvmRoute, httpPort: port, proc };
        });
        await Promise.all(nodes.map(async (node) => {
          await node.proc.waitForText("listening", (l) => l.includes(`:${node.httpPort}/`), 30_000);
          for (const other of nodes.filter((o) => o !== node)) {
            await node.proc.waitFor(`"Member added" ${other.jvmRoute}`, added(other.jvmRoute), {
              timeoutMs: 30_000,
            });
          }
        }));
        // The Express example serves no probes: HAProxy forwarding its 404 is the sign it is up.
        const balancer = await startHaproxy(haproxy!, dir, nodes, started, 404);
        const client = new Client(balancer.url);

        const before: Answer[] = [];
        for (let i = 0; i < 10; i++) before.push(await client.increment());
        const stuck = before[0].node;
        assert.deepEqual(before.map((a) => a.counter), before.map((_, i) => i + 1));
        assert.deepEqual(before.map((a) => a.node), before.map(() => stuck), "sticky");
        assert.equal(routeOf(client.cookie), stuck, "the route sits inside connect.sid");

        const victim = nodes.find((n) => n.jvmRoute === stuck)!;
        victim.proc.signal("SIGKILL");
        await victim.proc.exited;

        const later: Answer[] = [];
        for (let i = 0; i < 10; i++) later.push(await client.increment());
        const successor = later[0].node;
        assert.notEqual(successor, stuck);
        assert.equal(later[0].counter, 11, "no acknowledged increment lost (use_ack,sync)");
        assert.deepEqual(later.map((a) => a.counter), later.map((_, i) => i + 11));
        assert.equal(routeOf(client.cookie), successor, "the cookie now names the new node");
        assert.deepEqual(later.slice(1).map((a) => a.node), later.slice(1).map(() => successor));
      } finally {
        await Promise.all(started.map((p) => p.stop()));
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
