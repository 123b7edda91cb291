/**
 * A Hono app that runs its own server and keeps its sessions in a Conclave cluster: a
 * per-session counter, and which node served it.
 *
 * Two nodes on one machine, each in its own shell (static membership on 127.0.0.1):
 *
 * ```sh
 * JVM_ROUTE=n1 PORT=3001 RECEIVER_PORT=4101 node --import tsx examples/hono/app.ts
 * JVM_ROUTE=n2 PORT=3002 RECEIVER_PORT=4102 node --import tsx examples/hono/app.ts
 * curl -c jar -b jar 127.0.0.1:3001/   # {"node":"n1","counter":1}
 * curl -c jar -b jar 127.0.0.1:3002/   # {"node":"n2","counter":2}
 * ```
 *
 * (`deno run -A examples/hono/app.ts` and `bun examples/hono/app.ts` run it too.) The same app
 * can also be hosted by the node itself (`apps[].module` in host mode), with `ctx.getSession()`.
 *
 * @module
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { pathToFileURL } from "node:url";
// In an app: `import { startNode } from "conclave"` and `... from "conclave/hono"`.
import { type ClusterNode, startNode } from "../../src/mod.ts";
import { type ConclaveEnv, conclaveSession } from "../../src/library/hono.ts";

/** The app: the only Conclave-specific line is the middleware's. */
export function createApp(node: ClusterNode): Hono<ConclaveEnv> {
  const app = new Hono<ConclaveEnv>();
  app.use(conclaveSession(node)); // cookie JSESSIONID=<32 hex>.<jvmRoute>, replicated per request

  app.get("/", (c) => {
    const session = c.get("session");
    const counter = ((session.get("counter") as number | undefined) ?? 0) + 1;
    session.set("counter", counter);
    return c.json({ node: node.jvmRoute, counter, session: session.id });
  });
  app.get("/peek", (c) => {
    // Reads only: a visitor without a session gets none (no cookie, nothing replicated).
    return c.json({ node: node.jvmRoute, counter: c.get("session").get("counter") ?? null });
  });
  app.get("/logout", (c) => {
    c.get("session").invalidate();
    return c.json({ node: node.jvmRoute, loggedOut: true });
  });
  return app;
}

/** The node: static membership on loopback; every node lists both receivers. */
export function clusterConfig(jvmRoute: string, receiverPort: number) {
  return {
    jvmRoute,
    logLevel: "warn",
    // The app path whose sessions the node replicates. Hono serves it, not the node: `module`
    // is never imported without host mode (the config schema still asks for one).
    apps: [{ path: "/", module: "./app.ts", distributable: true }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: "use_ack,sync", // a response waits until every node has the change
      channel: {
        className: "GroupChannel",
        membership: {
          className: "StaticMembershipService",
          members: [{ host: "127.0.0.1", port: 4101 }, { host: "127.0.0.1", port: 4102 }],
          secret: process.env.CONCLAVE_CLUSTER_SECRET ?? "example-only-secret",
        },
        receiver: { className: "NioReceiver", address: "127.0.0.1", port: receiverPort },
      },
    },
  };
}

async function main(): Promise<void> {
  const jvmRoute = process.env.JVM_ROUTE ?? "n1";
  const port = Number(process.env.PORT ?? 3001);
  const node = await startNode(clusterConfig(jvmRoute, Number(process.env.RECEIVER_PORT ?? 4101)));
  const server = serve({ fetch: createApp(node).fetch, hostname: "127.0.0.1", port }, () => {
    console.log(`${jvmRoute}: http://127.0.0.1:${port}/`);
  });
  await new Promise((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  server.close();
  await node.stop();
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) await main();
