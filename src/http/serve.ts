/**
 * HTTP listeners on each runtime's fastest server: `Deno.serve`, `Bun.serve`, and on Node
 * `@hono/node-server` (a maintained fetch adapter over `node:http`). The host sees one fetch
 * handler and the client's address, whatever the runtime.
 *
 * @module
 */
import type { AddressInfo } from "node:net";
import { ConclaveError } from "../errors.ts";
import { detectRuntime } from "../runtime/detect.ts";

/**
 * What the host's handler receives besides the request. Only operator paths read it, so the
 * servers below give getters: a request for an app pays for neither value.
 */
export interface RequestInfo {
  remoteAddress: string;
  /**
   * The request target exactly as the client sent it (`/x/../a%2Fb?q`), where the runtime keeps
   * it (Node, Deno); undefined where its server normalizes it first (Bun).
   */
  rawTarget?: string;
}

/** The path and query of a URL string as written, without resolving dot segments. */
function targetOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start < 0 ? "/" : url.slice(start);
}

export type FetchHandler = (request: Request, info: RequestInfo) => Promise<Response>;

/** A listening HTTP server. */
export interface HttpServer {
  readonly url: string;
  readonly port: number;
  /**
   * Accepts no new connection and resolves once the requests in flight are answered (keep-alive
   * connections close after their current request).
   */
  drain(): Promise<void>;
  /** Closes every connection now, requests in flight included. */
  close(): Promise<void>;
}

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
  finished: Promise<void>;
}
interface DenoGlobal {
  serve(
    options: { hostname: string; port: number; onListen?: () => void },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Promise<Response>,
  ): DenoServer;
}
interface BunServer {
  port: number;
  stop(closeActive?: boolean): void | Promise<void>;
  requestIP(request: Request): { address: string } | null;
}
interface BunGlobal {
  serve(options: {
    hostname: string;
    port: number;
    idleTimeout?: number;
    fetch: (request: Request, server: BunServer) => Promise<Response>;
  }): BunServer;
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * A listen that failed, naming the address and, with `what`, where it was configured: a port
 * taken (by another process, or between a check and this bind) reads the same on every runtime.
 */
function listenError(host: string, port: number, what: string | undefined, cause: unknown) {
  const { code, name, message } = (cause ?? {}) as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
  };
  const reason = code === "EADDRINUSE" || name === "AddrInUse"
    ? "the port is in use (EADDRINUSE)"
    : code === "EACCES" || name === "PermissionDenied"
    ? "permission denied (EACCES: ports below 1024 need privileges)"
    : String(message ?? cause);
  return new ConclaveError(
    "NODE_ERR_START",
    `Cannot listen on ${urlOf(host, port)}${what ? ` (${what})` : ""}: ${reason}`,
    { cause },
  );
}

/**
 * Listens on `host:port` (0: any free port) and serves `handler`. `what` names the setting the
 * address came from, for the error.
 *
 * @throws {NODE_ERR_START} when the address cannot be listened on (a port in use, say)
 */
export async function serve(
  host: string,
  port: number,
  handler: FetchHandler,
  what?: string,
): Promise<HttpServer> {
  try {
    return await listen(host, port, handler);
  } catch (cause) {
    throw listenError(host, port, what, cause);
  }
}

async function listen(host: string, port: number, handler: FetchHandler): Promise<HttpServer> {
  const runtime = detectRuntime().name;
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno: DenoGlobal }).Deno;
    const server = deno.serve(
      { hostname: host, port, onListen: () => {} },
      // Deno.serve keeps the target as sent in `request.url`.
      (request, info) =>
        handler(request, {
          get remoteAddress() {
            return info.remoteAddr.hostname;
          },
          get rawTarget() {
            return targetOf(request.url);
          },
        }),
    );
    // Deno's shutdown is graceful: it stops listening and waits for the requests in flight.
    let closing: Promise<void> | undefined;
    const shutdown = () => closing ??= server.shutdown();
    return {
      url: urlOf(host, server.addr.port),
      port: server.addr.port,
      drain: shutdown,
      close: shutdown,
    };
  }
  if (runtime === "bun") {
    const bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;
    const server = bun.serve({
      hostname: host,
      port,
      // Bun alone cuts requests off after 10 s by default; Node and Deno do not.
      idleTimeout: 0,
      fetch: (request, s) =>
        handler(request, {
          get remoteAddress() {
            return s.requestIP(request)?.address ?? "";
          },
        }),
    });
    return {
      url: urlOf(host, server.port),
      port: server.port,
      drain: async () => {
        await server.stop(false);
      },
      close: async () => {
        await server.stop(true);
      },
    };
  }
  const { createAdaptorServer } = await import("@hono/node-server");
  const server = createAdaptorServer({
    fetch: (
      request: Request,
      env: { incoming: { url?: string; socket: { remoteAddress?: string } } },
    ) =>
      handler(request, {
        get remoteAddress() {
          return env.incoming.socket.remoteAddress ?? "";
        },
        get rawTarget() {
          return env.incoming.url;
        },
      }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const connections = server as unknown as {
    closeAllConnections?: () => void;
    closeIdleConnections?: () => void;
  };
  let closed: Promise<void> | undefined;
  const stopListening = () =>
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    url: urlOf(host, bound),
    port: bound,
    drain: async () => {
      const done = stopListening();
      // Idle keep-alive connections would hold close() open; busy ones close after their reply.
      connections.closeIdleConnections?.();
      const idle = setInterval(() => connections.closeIdleConnections?.(), 50);
      await done.finally(() => clearInterval(idle));
    },
    close: () => {
      const done = stopListening();
      connections.closeAllConnections?.();
      return done;
    },
  };
}
