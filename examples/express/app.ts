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
import { pathToFileURL } from "node:url";
// In an app: `import { startNode } from "conclave"` and `... from "conclave/express"`.
import { type ClusterNode, startNode } from "../../src/mod.ts";
import { ConclaveStore } from "../../src/library/express.ts";

declare module "express-session" {
  interface SessionData {
    counter: number;
  }
}

/** The app: the only Conclave-specific lines are the store's. */
export function createApp(node: ClusterNode, secret = "example-only-secret"): express.Express {
  const app = express();
  // Was: const store = new RedisStore({ client: redis });
  const store = new ConclaveStore(node);
  app.use(session({
    store,
    genid: store.genid, // Conclave ids (`<32 hex>.<jvmRoute>`), so a balancer's stickiness works
    secret, // the same on every node: the cookie is signed with it
    resave: false,
    saveUninitialized: false,
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

/** The node: static membership on loopback; every node lists both receivers. */
export function clusterConfig(jvmRoute: string, receiverPort: number) {
  return {
    jvmRoute,
    logLevel: "warn",
    // The app path whose sessions the node replicates. Express serves it, not the node: `module`
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
  const server = createApp(node, process.env.SESSION_SECRET).listen(port, "127.0.0.1", () => {
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
