/**
 * The scratch project the package test installs the tarball into: what a user of each framework
 * writes, with the strictest common compiler settings.
 *
 * @module
 */

export const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    // Conclave's .d.ts files are checked like the user's own code.
    skipLibCheck: false,
    noEmit: true,
    types: ["node"],
    lib: ["ES2023"],
  },
  include: ["*.ts"],
};

const LIBRARY_CONFIG = `{ jvmRoute: "a", apps: [{ path: "/", distributable: true }] }`;

/** Type-checked only: one small app per door, a host-mode app and a third-party plugin. */
export const TYPED_APPS: Record<string, string> = {
  "host_app.ts":
    `import type { AppHandler, ConclaveContext, Session, SessionListener } from "conclave";
export default function app(request: Request, ctx: ConclaveContext): Response {
  const session: Session | null = ctx.getSession();
  if (!session) return new Response("no session", { status: 500 });
  const n = ((session.get("n") as number | undefined) ?? 0) + 1;
  session.set("n", n);
  return Response.json({ n, node: ctx.jvmRoute, path: new URL(request.url).pathname });
}
export const typed: AppHandler = app;
export const sessionListener: SessionListener = { created: (s) => console.log(s.id) };
`,
  "express_app.ts": `import express from "express";
import session from "express-session";
import { startNode } from "conclave";
import { ConclaveStore } from "conclave/express";
const node = await startNode(${LIBRARY_CONFIG});
const store = new ConclaveStore(node);
const app = express();
app.use(session({ store, genid: store.genid, secret: "s", resave: false, saveUninitialized: false }));
app.get("/", (req, res) => {
  res.json({ id: req.session.id });
});
`,
  "hono_app.ts": `import { Hono } from "hono";
import { startNode } from "conclave";
import { type ConclaveEnv, conclaveSession } from "conclave/hono";
const node = await startNode(${LIBRARY_CONFIG});
const app = new Hono<ConclaveEnv>();
app.use(conclaveSession(node));
app.get("/", (c) => {
  const session = c.get("session");
  const n = ((session.get("n") as number | undefined) ?? 0) + 1;
  session.set("n", n);
  return c.json({ n });
});
export default app;
`,
  "fastify_app.ts": `import Fastify from "fastify";
import { startNode } from "conclave";
import { conclaveSession } from "conclave/fastify";
const node = await startNode(${LIBRARY_CONFIG});
const app = Fastify();
await app.register(conclaveSession, { node });
app.get("/", async (request) => {
  const n = ((request.session.get("n") as number | undefined) ?? 0) + 1;
  request.session.set("n", n);
  return { n };
});
`,
  "plugin.ts":
    `import { type ChannelMessage, definePlugin, InterceptorBase, type Member } from "conclave";
import { interceptorConformance, ManualClock } from "conclave/testing";
class Audit extends InterceptorBase {
  sent = 0;
  override sendMessage(to: readonly Member[], message: ChannelMessage): Promise<void> {
    this.sent++;
    return super.sendMessage(to, message);
  }
}
export default definePlugin({
  kind: "interceptor",
  name: "interceptor/audit",
  attributes: { label: { type: "string", default: "audit" } },
  create: () => new Audit(),
});
export const clock = new ManualClock();
export const suite: typeof interceptorConformance = interceptorConformance;
`,
};

/** A host-mode app in plain JavaScript, for `conclave check` through the installed bin. */
export const HOST_APP_MJS = `export default (request, ctx) => new Response(ctx.jvmRoute);
`;

/** Imports every subpath and prints how many names each exports (run by node, deno and bun). */
export const IMPORTS_MJS = `const counts = {};
for (const s of ["conclave", "conclave/express", "conclave/hono", "conclave/fastify", "conclave/testing"]) {
  counts[s] = Object.keys(await import(s)).length;
}
console.log(JSON.stringify(counts));
`;

/**
 * One node of an Express cluster in plain JavaScript: `node express_node.mjs NAME RECEIVER PEER`.
 * Static membership on loopback; prints `{"http": PORT}` once it serves, and `{"member": ROUTE}`
 * for each member it sees.
 */
export const EXPRESS_NODE_MJS = `import express from "express";
import session from "express-session";
import { startNode } from "conclave";
import { ConclaveStore } from "conclave/express";

const [jvmRoute, receiverPort, peerPort] = process.argv.slice(2);
const node = await startNode({
  jvmRoute,
  logLevel: "warn",
  apps: [{ path: "/", distributable: true }],
  cluster: {
    className: "SimpleTcpCluster",
    channelSendOptions: "use_ack,sync",
    channel: {
      className: "GroupChannel",
      membership: {
        className: "StaticMembershipService",
        members: [{ host: "127.0.0.1", port: Number(peerPort) }],
        secret: "consumer-test",
      },
      receiver: { className: "NioReceiver", address: "127.0.0.1", port: Number(receiverPort), autoBind: 1 },
    },
  },
});
node.channel.addMembershipListener({
  memberAdded: (m) => console.log(JSON.stringify({ member: m.jvmRoute })),
  memberDisappeared() {},
});
for (const m of node.members()) console.log(JSON.stringify({ member: m.jvmRoute }));
const store = new ConclaveStore(node);
const app = express();
app.use(session({ store, genid: store.genid, secret: "s", resave: false, saveUninitialized: false }));
app.get("/set", (req, res) => {
  req.session.n = 42;
  res.json({ id: req.session.id });
});
app.get("/get", (req, res) => res.json({ n: req.session.n ?? null, node: jvmRoute }));
const server = app.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ http: server.address().port }));
});
process.once("SIGTERM", async () => {
  server.close();
  await node.stop();
  process.exit(0);
});
`;
