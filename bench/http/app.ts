/**
 * The app `bench/http.ts` serves from every Conclave node (host mode). The same routes as
 * `express_redis.ts`, with the same 1 KiB attribute:
 *
 * - `/write`: sets `data` (a 1 KiB string), `t` (when, ms since the epoch, sub-ms) and the counter
 *   `n` + 1; answers `{"node","n","bytes"}`.
 * - `/read`: reads the session without changing it; the same answer (404 without a session).
 * - `/seed?n=N&window=W`: creates N sessions of the same shape in this process through the
 *   manager (each with its own random 1 KiB string), replicated like a request's session, W
 *   replications in flight; answers `{"seeded","ms","sessions"}`.
 * - `/mem?gc=1`: collects garbage when the runtime allows it, then answers the process's memory.
 * - `/lag`: the replication lags this node saw since the last call (and forgets them): for every
 *   `t` that arrived from another node, the time from the write there to the change applied here;
 *   then the node re-reads its clock's offset (`bench/lib/shared_clock.ts`).
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import process from "node:process";
import type { ConclaveContext } from "../../src/http/host.ts";
import type { SessionListener } from "../../src/interfaces/session_listener.ts";
import { collectGarbage } from "../lib/gc.ts";
import { benchManagers } from "./manager.ts";
import { now, recalibrate } from "../lib/shared_clock.ts";
import { windowed } from "../lib/windowed.ts";

const KIB = 1024;
/** The attribute `/write` sets: one string of 1 KiB (one byte per character). */
const PAYLOAD = "x".repeat(KIB);

// ---------------------------------------------------------------- replication lag

let lags = new Float64Array(1 << 16);
let lagCount = 0;

function recordLag(ms: number): void {
  if (lagCount === lags.length) {
    if (lags.length >= 1 << 22) return; // 4 M samples: enough
    const bigger = new Float64Array(lags.length * 2);
    bigger.set(lags);
    lags = bigger;
  }
  lags[lagCount++] = ms;
}

/** Fires on this node as each replicated change is applied: `t` is when the writer set it. */
export const sessionListener: SessionListener = {
  attributeChanged(_session, name, value, replicated) {
    if (replicated && name === "t" && typeof value === "number") recordLag(now() - value);
  },
};

// ---------------------------------------------------------------- routes

function answer(node: string, n: unknown, data: unknown): Response {
  return Response.json({
    node,
    n: typeof n === "number" ? n : null,
    bytes: typeof data === "string" ? data.length : 0,
  });
}

async function seed(url: URL): Promise<Response> {
  const manager = benchManagers().get(url.searchParams.get("app") ?? "/");
  if (!manager) return new Response("no bench manager in this process", { status: 500 });
  const n = Math.max(0, Math.floor(Number(url.searchParams.get("n") ?? 0)));
  const window = Math.max(1, Math.floor(Number(url.searchParams.get("window") ?? 256)));
  const started = performance.now();
  const failed = await windowed(n, window, () => {
    const session = manager.createSession();
    // A fresh flat string per session, as if each had come from its own request.
    session.attributes.set("data", randomBytes(KIB / 2).toString("hex"));
    session.attributes.set("t", now());
    session.attributes.set("n", 1);
    return manager.requestCompleted(session.id);
  });
  return Response.json({
    seeded: n,
    failed,
    ms: performance.now() - started,
    sessions: manager.sessionCount,
  });
}

export default function app(request: Request, ctx: ConclaveContext): Response | Promise<Response> {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/write": {
      const session = ctx.getSession();
      if (!session) return new Response("no session", { status: 500 });
      const n = ((session.get("n") as number | undefined) ?? 0) + 1;
      session.set("data", PAYLOAD);
      session.set("t", now());
      session.set("n", n);
      return answer(ctx.jvmRoute, n, PAYLOAD);
    }
    case "/read": {
      const session = ctx.getSession(false);
      if (!session) return new Response("no session", { status: 404 });
      return answer(ctx.jvmRoute, session.get("n"), session.get("data"));
    }
    case "/seed":
      return seed(url);
    case "/mem": {
      const collected = url.searchParams.get("gc") === "1" && collectGarbage();
      const m = process.memoryUsage();
      const sessions = [...benchManagers().values()].reduce((s, x) => s + x.sessionCount, 0);
      return Response.json({
        gc: collected,
        rss: m.rss,
        heapUsed: m.heapUsed,
        external: m.external,
        sessions,
      });
    }
    case "/lag": {
      const samples = Array.from(lags.subarray(0, lagCount), (x) => Math.round(x * 1000) / 1000);
      lagCount = 0;
      recalibrate(); // between measurements: the bench reads /lag before and after each one
      return Response.json({ node: ctx.jvmRoute, samples });
    }
    default:
      return new Response("Not Found", { status: 404 });
  }
}
