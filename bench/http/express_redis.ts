/**
 * The usual Node answer that `bench/http.ts` compares Conclave with: `express` +
 * `express-session` + `connect-redis` (node-redis client) on a `redis-server`, with the same
 * routes and the same 1 KiB attribute as `app.ts`:
 *
 * - `/write`: sets `data` (1 KiB), `t` and the counter `n` + 1; answers `{"node","n","bytes"}`.
 * - `/read`: the same answer without changing the session (404 without one).
 * - `/seed?n=N&window=W`: stores N sessions of the same shape straight through the store, as
 *   express-session would save them, W writes in flight.
 * - `/mem?gc=1`: this process's memory (the sessions live in redis-server).
 *
 * ```sh
 * node --import tsx bench/http/express_redis.ts --name e1 --port 3001 --redis-port 6379
 * ```
 * It prints one JSON line `{"time":...,"msg":"Listening",...}` once it listens on 127.0.0.1 and has connected to
 * Redis; SIGTERM or SIGINT closes it.
 *
 * express-session options are the ones the express-session and connect-redis READMEs show:
 * `resave: false`, `saveUninitialized: false`, the default TTL (one day) and touch (a read of an
 * unchanged session refreshes its TTL with EXPIRE).
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { RedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import { createClient } from "redis";
import { now } from "../lib/shared_clock.ts";
import { windowed } from "../lib/windowed.ts";

declare module "express-session" {
  interface SessionData {
    n: number;
    data: string;
    t: number;
  }
}

const KIB = 1024;
const PAYLOAD = "x".repeat(KIB);

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const name = flag("name", "e1");
const port = Number(flag("port", "3001"));
const redisPort = Number(flag("redis-port", "6379"));

const client = createClient({ socket: { host: "127.0.0.1", port: redisPort } });
client.on("error", (err: Error) => process.stderr.write(`${name}: redis: ${err.message}\n`));
await client.connect();
const store = new RedisStore({ client });

const app = express();
app.disable("x-powered-by");
app.use(session({
  store,
  secret: "bench-only-secret",
  resave: false,
  saveUninitialized: false,
}));

const answer = (n: unknown, data: unknown) => ({
  node: name,
  n: typeof n === "number" ? n : null,
  bytes: typeof data === "string" ? data.length : 0,
});

app.get("/write", (req, res) => {
  const n = (req.session.n ?? 0) + 1;
  req.session.data = PAYLOAD;
  req.session.t = now();
  req.session.n = n;
  res.json(answer(n, PAYLOAD));
});

app.get("/read", (req, res) => {
  if (req.session.n === undefined) {
    res.status(404).send("no session");
    return;
  }
  res.json(answer(req.session.n, req.session.data));
});

app.get("/seed", async (req, res, next) => {
  try {
    const n = Math.max(0, Math.floor(Number(req.query.n ?? 0)));
    const window = Math.max(1, Math.floor(Number(req.query.window ?? 256)));
    const started = performance.now();
    const failed = await windowed(n, window, () => {
      const id = randomBytes(24).toString("base64url"); // express-session's default id: uid-safe(24)
      const data = {
        cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: "/" },
        data: randomBytes(KIB / 2).toString("hex"),
        t: now(),
        n: 1,
      } as unknown as session.SessionData;
      return store.set(id, data);
    });
    res.json({
      seeded: n,
      failed,
      ms: performance.now() - started,
      sessions: await client.dbSize(),
    });
  } catch (err) {
    next(err);
  }
});

app.get("/mem", (_req, res) => {
  const m = process.memoryUsage();
  res.json({ gc: false, rss: m.rss, heapUsed: m.heapUsed, external: m.external });
});

const server = app.listen(port, "127.0.0.1", () => {
  const bound = (server.address() as AddressInfo).port;
  const line = { time: Date.now(), msg: "Listening", name, pid: process.pid, port: bound };
  process.stdout.write(`${JSON.stringify(line)}\n`);
});

const close = () => {
  server.closeAllConnections();
  server.close();
  void client.quit().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once("SIGTERM", close);
process.once("SIGINT", close);
