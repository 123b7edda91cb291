/**
 * A Fastify app whose sessions live in a Conclave cluster: a per-session counter, and which
 * node served it.
 *
 * Two nodes on one machine, each in its own shell (static membership on 127.0.0.1):
 *
 * ```sh
 * JVM_ROUTE=n1 PORT=3001 RECEIVER_PORT=4101 node --import tsx examples/fastify/app.ts
 * JVM_ROUTE=n2 PORT=3002 RECEIVER_PORT=4102 node --import tsx examples/fastify/app.ts
 * curl -c jar -b jar 127.0.0.1:3001/   # {"node":"n1","counter":1}
 * curl -c jar -b jar 127.0.0.1:3002/   # {"node":"n2","counter":2}
 * ```
 *
 * (`deno run -A examples/fastify/app.ts` and `bun examples/fastify/app.ts` run it too.)
 *
 * @module
 */
import Fastify, { type FastifyInstance } from "fastify";
// In an app: `import { startNode } from "conclave"` and `... from "conclave/fastify"`.
import type { ClusterNode } from "../../src/mod.ts";
import { isMain, startExampleNode, untilStopped } from "../library_node.ts";
import { conclaveSession } from "../../src/library/fastify.ts";

/** The app: the only Conclave-specific line is the plugin's. */
export async function createApp(node: ClusterNode): Promise<FastifyInstance> {
  const app = Fastify();
  // Was: app.register(fastifySession, { store: new RedisStore({ client: redis }), ... })
  await app.register(conclaveSession, { node });

  app.get("/", (request) => {
    const counter = ((request.session.get("counter") as number | undefined) ?? 0) + 1;
    request.session.set("counter", counter);
    return { node: node.jvmRoute, counter, session: request.session.id };
  });
  app.get("/peek", (request) => {
    // Reads only: a visitor without a session gets none (no cookie, nothing replicated).
    return { node: node.jvmRoute, counter: request.session.get("counter") ?? null };
  });
  app.get("/logout", (request) => {
    request.session.invalidate();
    return { node: node.jvmRoute, loggedOut: true };
  });
  return app;
}

if (isMain(import.meta.url)) {
  const { node, jvmRoute, port } = await startExampleNode();
  const app = await createApp(node);
  console.log(`${jvmRoute}: ${await app.listen({ host: "127.0.0.1", port })}/`);
  await untilStopped();
  await app.close();
  await node.stop();
}
