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
// In an app: `import { startNode } from "conclave"` and `... from "conclave/hono"`.
import type { ClusterNode } from "../../src/mod.ts";
import { isMain, startExampleNode, untilStopped } from "../library_node.ts";
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

if (isMain(import.meta.url)) {
  const { node, jvmRoute, port } = await startExampleNode();
  const server = serve({ fetch: createApp(node).fetch, hostname: "127.0.0.1", port }, () => {
    console.log(`${jvmRoute}: http://127.0.0.1:${port}/`);
  });
  await untilStopped();
  server.close();
  await node.stop();
}
