/**
 * An Express app whose `express-session` sessions live in a Conclave cluster instead of Redis:
 * a per-session counter, and which node served it.
 *
 * Two nodes on one machine, each in its own shell (static membership on 127.0.0.1):
 *
 * ```sh
 * JVM_ROUTE=n1 PORT=3001 RECEIVER_PORT=4101 node --import tsx examples/express/app.ts
 * JVM_ROUTE=n2 PORT=3002 RECEIVER_PORT=4102 node --import tsx examples/express/app.ts
 * curl -c jar -b jar 127.0.0.1:3001/   # {"node":"n1","counter":1}
 * curl -c jar -b jar 127.0.0.1:3002/   # {"node":"n2","counter":2}
 * ```
 *
 * (`deno run -A examples/express/app.ts` and `bun examples/express/app.ts` run it too.)
 *
 * @module
 */
import express from "express";
import session from "express-session";
// In an app: `import { startNode } from "conclave"` and `... from "conclave/express"`.
import type { ClusterNode } from "../../src/mod.ts";
import { isMain, startExampleNode, untilStopped } from "../library_node.ts";
import { ConclaveStore } from "../../src/library/express.ts";

declare module "express-session" {
  interface SessionData {
    counter: number;
  }
}

/** The app: the only Conclave-specific lines are the store's. `cookie`: express-session's. */
export function createApp(
  node: ClusterNode,
  secret = "example-only-secret",
  cookie?: session.CookieOptions,
): express.Express {
  const app = express();
  // Was: const store = new RedisStore({ client: redis });
  const store = new ConclaveStore(node);
  app.use(session({
    store,
    genid: store.genid, // Conclave ids (`<32 hex>.<jvmRoute>`), so a balancer's stickiness works
    secret, // the same on every node: the cookie is signed with it
    resave: false,
    saveUninitialized: false,
    cookie,
  }));

  app.get("/", (req, res) => {
    req.session.counter = (req.session.counter ?? 0) + 1;
    res.json({ node: node.jvmRoute, counter: req.session.counter, session: req.sessionID });
  });
  app.get("/logout", (req, res, next) => {
    req.session.destroy((err) =>
      err ? next(err) : res.json({ node: node.jvmRoute, loggedOut: true })
    );
  });
  return app;
}

if (isMain(import.meta.url)) {
  const { node, jvmRoute, port } = await startExampleNode();
  const server = createApp(node, process.env.SESSION_SECRET).listen(port, "127.0.0.1", () => {
    console.log(`${jvmRoute}: http://127.0.0.1:${port}/`);
  });
  await untilStopped();
  server.close();
  await node.stop();
}
