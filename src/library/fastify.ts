/**
 * `conclave/fastify`: replicated sessions for a Fastify app, from a node started in code. The
 * plugin decorates `request.session` (created on the app's first write, see `LazySession`) and
 * `request.getSession(create?)` (host mode's `ctx.getSession`), sends SPEC's session cookie and
 * replicates what the request changed before the response leaves.
 *
 * @example A counter
 * ```ts
 * import Fastify from "fastify";
 * import { startNode } from "conclave";
 * import { conclaveSession } from "conclave/fastify";
 *
 * const node = await startNode(config); // config.apps: [{ path: "/", distributable: true, ... }]
 * const app = Fastify();
 * await app.register(conclaveSession, { node });
 * app.get("/", (request) => {
 *   const n = ((request.session.get("n") as number | undefined) ?? 0) + 1;
 *   request.session.set("n", n);
 *   return { n };
 * });
 * ```
 *
 * @module
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import fastifyPlugin from "fastify-plugin";
import type { ClusterNode } from "../kernel/node.ts";
import type { Session } from "../session/session.ts";
import { type AppBinding, type AppOptions, bindApp } from "./app.ts";
import { type LazySession, SessionRequest } from "../session/request.ts";

export type { SessionApi } from "../session/request.ts";
export type { LazySession };

declare module "fastify" {
  interface FastifyRequest {
    /** The request's session, created on the app's first write (see `LazySession`). */
    session: LazySession;
    /** Host mode's `ctx.getSession(create = true)`. */
    getSession(create?: boolean): Session | null;
  }
}

/** The plugin's options: the node, and which of its apps. */
export interface ConclaveFastifyOptions extends AppOptions {
  node: ClusterNode;
}

/** One request's session and the valve chain waiting for the route's reply. */
interface InFlight {
  request: SessionRequest;
  /** Lets the innermost valve's `next()` return: the route has answered. */
  answered: (response: Response) => void;
  /** The valve chain, settled once every valve is done (replication included). */
  chain: Promise<Response>;
}

const inFlight = new WeakMap<FastifyRequest, InFlight>();

function fetchRequest(request: FastifyRequest, url: URL): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value)) { for (const v of value) headers.append(name, v); }
    else if (value !== undefined) headers.set(name, String(value));
  }
  return new Request(url, { method: request.method, headers });
}

async function sendResponse(reply: FastifyReply, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  reply.code(response.status);
  for (const [name, value] of response.headers) reply.header(name, value);
  reply.send(body);
}

const plugin: FastifyPluginCallback<ConclaveFastifyOptions> = (fastify, options, done) => {
  let app: AppBinding;
  try {
    app = bindApp(options.node, options);
  } catch (err) {
    done(err as Error);
    return;
  }
  const state = (request: FastifyRequest): InFlight => {
    const found = inFlight.get(request);
    if (found) return found;
    // Reached before this plugin's onRequest hook (a hook added before it was registered):
    // the hook then carries this request's session on, valves included.
    const fallback: InFlight = {
      request: new SessionRequest(app, request.headers.cookie),
      answered: () => {},
      chain: Promise.resolve(new Response(null)),
    };
    inFlight.set(request, fallback);
    return fallback;
  };
  fastify.decorateRequest("session", {
    getter(this: FastifyRequest) {
      return state(this).request.session;
    },
  });
  fastify.decorateRequest("getSession", function (this: FastifyRequest, create?: boolean) {
    return state(this).request.getSession(create);
  });

  // The node's valves wrap the route as they wrap an app in host mode: the chain starts here,
  // its innermost `next()` waits for the reply (onSend), and the reply waits for the chain.
  fastify.addHook("onRequest", async (request, reply) => {
    const session = inFlight.get(request)?.request ??
      new SessionRequest(app, request.headers.cookie);
    await session.prepare();
    const url = new URL(request.url, `http://${request.host || "localhost"}`);
    let entered!: () => void;
    const reached = new Promise<"app">((resolve) => entered = () => resolve("app"));
    let answered!: (response: Response) => void;
    const response = new Promise<Response>((resolve) => answered = resolve);
    const chain = session.run(url, () => fetchRequest(request, url), () => {
      entered();
      return response;
    });
    inFlight.set(request, { request: session, answered, chain });
    if (await Promise.race([reached, chain]) !== "app") {
      // A valve answered in the route's place.
      await sendResponse(reply, await chain);
      return reply;
    }
  });
  fastify.addHook("onSend", async (request, reply, payload) => {
    const flight = inFlight.get(request);
    if (!flight) return payload;
    flight.answered(new Response(null, { status: reply.statusCode }));
    try {
      await flight.chain;
    } catch (err) {
      request.log.warn({ err }, "A valve failed after the reply was ready");
    }
    const cookie = flight.request.setCookie();
    if (cookie) reply.header("set-cookie", cookie);
    return payload;
  });
  done();
};

/**
 * The plugin: `await app.register(conclaveSession, { node })`. Wrapped with `fastify-plugin`,
 * so the hooks and decorators apply to every route of the app that registers it.
 *
 * @throws {APP_ERR_LOAD} at registration when the node has no app at `path`
 */
export const conclaveSession: FastifyPluginCallback<ConclaveFastifyOptions> = fastifyPlugin(
  plugin,
  {
    fastify: "5.x",
    name: "conclave-session",
  },
);

export default conclaveSession;
