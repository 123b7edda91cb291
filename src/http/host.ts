/**
 * Host mode: the node serves its apps over HTTP with SPEC's app contract (section 3), session
 * cookies and ids (section 4) and the admin surface (section 5).
 *
 * @module
 */
import type { Logger } from "../interfaces/logger.ts";
import type { Manager } from "../interfaces/manager.ts";
import type { SessionListener } from "../interfaces/session_listener.ts";
import type { Exchange, Valve } from "../interfaces/valve.ts";
import type { AppConfig } from "../kernel/config/types.ts";
import { configError } from "../kernel/config/config_error.ts";
import { ConclaveError } from "../errors.ts";
import type { ClusterNode } from "../kernel/node.ts";
import { moduleUrl } from "../kernel/resolve.ts";
import { runtimeLabel } from "../runtime/detect.ts";
import { parseSessionId, withRoute } from "../session/ids.ts";
import { Session, type SessionOwner } from "../session/session.ts";
import type { StoredSession } from "../session/store.ts";
import { DeltaManager } from "../../plugins/manager/delta/manager.ts";
import { type HttpServer, type RequestInfo, serve } from "./serve.ts";

/** What an app's handler receives besides the request. */
export interface ConclaveContext {
  /** The request's session; with `create` (default true) a new one when it has none. */
  getSession(create?: boolean): Session | null;
  /** This node's route, for pages that show which node served them. */
  readonly jvmRoute: string;
  /** The other live members. */
  members(): { name: string; jvmRoute: string }[];
}

/** An app module's default export: a function or an object with `fetch` (a Hono app). */
export type AppHandler =
  | ((request: Request, ctx: ConclaveContext) => Response | Promise<Response>)
  | { fetch(request: Request, ctx: ConclaveContext): Response | Promise<Response> };

/** A manager the host can serve sessions from. */
type SessionManager = Omit<Manager, "findSession" | "createSession"> & SessionOwner & {
  findSession(id: string): StoredSession | undefined;
  createSession(): StoredSession;
  /** Managers that hold only some sessions fetch the others on demand. */
  fetchSession?(id: string): Promise<StoredSession | undefined>;
};

interface App {
  config: AppConfig;
  fetch: (request: Request, ctx: ConclaveContext) => Response | Promise<Response>;
  manager: SessionManager;
  valves: readonly Valve[];
}

function isSessionManager(manager: Manager): manager is Manager & SessionManager {
  const m = manager as unknown as Partial<SessionManager>;
  return typeof m.invalidate === "function" && typeof m.changeId === "function";
}

/** Loads an app module; its default export must be a fetch handler. */
export async function loadApp(
  config: AppConfig,
  baseDir: string,
): Promise<{ fetch: App["fetch"]; sessionListener?: SessionListener }> {
  let module: { default?: unknown; sessionListener?: SessionListener };
  try {
    module = await import(moduleUrl(config.module ?? "", baseDir));
  } catch (cause) {
    throw new ConclaveError(
      "APP_ERR_LOAD",
      `Cannot import app ${config.module} for ${config.path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const handler = module.default as AppHandler | undefined;
  const listener = module.sessionListener;
  const sessionListener = typeof listener === "object" && listener !== null ? listener : undefined;
  if (typeof handler === "function") return { fetch: handler, sessionListener };
  if (handler && typeof (handler as { fetch?: unknown }).fetch === "function") {
    return {
      fetch: (request, ctx) => (handler as { fetch: App["fetch"] }).fetch(request, ctx),
      sessionListener,
    };
  }
  throw new ConclaveError(
    "APP_ERR_LOAD",
    `App ${config.module} for ${config.path} exports no fetch handler as default; expected a function or an object with fetch()`,
  );
}

function cookieValue(header: string | null, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function isLoopback(address: string): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1" ||
    address.startsWith("127.");
}

/** Serves a node's apps. */
export class Host {
  #node: ClusterNode;
  #logger: Logger;
  #apps: App[] = [];
  #server: HttpServer | undefined;

  constructor(node: ClusterNode, logger: Logger) {
    this.#node = node;
    this.#logger = logger;
  }

  get url(): string | undefined {
    return this.#server?.url;
  }

  /** Loads the apps and listens on the configured `http` address. */
  async start(): Promise<string> {
    const { config } = this.#node;
    config.apps.forEach((app, i) => {
      if (app.module === undefined) {
        throw configError(
          "CONFIG_ERR_MISSING",
          { file: config.file, positions: config.context.positions },
          `apps[${i}].module`,
          "no module",
          'the app\'s module, such as "./app.ts" (host mode serves every app)',
          `apps[${i}]`,
        );
      }
    });
    for (const app of config.apps) {
      const { fetch, sessionListener } = await loadApp(app, config.baseDir);
      let manager = this.#node.managers.get(app.path);
      if (!manager) {
        // Not distributable: sessions stay on this node, as in a plain servlet container.
        manager = new DeltaManager({
          name: app.path,
          channel: {
            send: () => Promise.resolve(),
            getMembers: () => [],
            addChannelListener() {},
            addMembershipListener() {},
          },
          clock: { now: Date.now, setTimeout: () => () => {}, setInterval: () => () => {} },
          logger: this.#logger,
          jvmRoute: this.#node.jvmRoute,
          nodeId: this.#node.uniqueId.hex,
          sendOptions: 0,
          stateTransferTimeout: 60,
          maxInactiveInterval: 1800,
          expireSessionsOnShutdown: false,
          processExpiresFrequency: 60_000,
        });
      }
      if (!isSessionManager(manager)) {
        throw new ConclaveError(
          "APP_ERR_LOAD",
          `The manager of ${app.path} cannot serve sessions to apps`,
        );
      }
      if (sessionListener) {
        const m = manager as { addSessionListener?: (l: SessionListener) => void };
        m.addSessionListener?.(sessionListener);
      }
      this.#apps.push({
        config: app,
        fetch,
        manager,
        valves: app.distributable ? this.#node.valves : [],
      });
    }
    // Longest path first, so /shop/admin wins over /shop.
    this.#apps.sort((a, b) => b.config.path.length - a.config.path.length);
    this.#server = await serve(config.http.host, config.http.port, (r, i) => this.handle(r, i));
    return this.#server.url;
  }

  async stop(): Promise<void> {
    await this.#server?.close();
    this.#server = undefined;
  }

  /** Answers one request; never throws (an app's failure is a 500). */
  async handle(request: Request, info: RequestInfo): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname.startsWith("/_conclave/")) return this.#admin(url, info);
      const app = this.#apps.find((a) =>
        a.config.path === "/" || url.pathname === a.config.path ||
        url.pathname.startsWith(`${a.config.path}/`)
      );
      if (!app) return new Response("Not Found", { status: 404 });
      return await this.#serveApp(app, request, url);
    } catch (err) {
      this.#logger.error({ err, url: url.pathname }, "Request failed");
      return new Response("Internal Server Error", { status: 500 });
    }
  }

  async #serveApp(app: App, request: Request, url: URL): Promise<Response> {
    const { manager, config } = app;
    const jvmRoute = this.#node.jvmRoute;
    const raw = cookieValue(request.headers.get("cookie"), config.cookieName);
    const requestedId = parseSessionId(raw) ? raw : undefined;
    let requested: StoredSession | undefined | null = null; // null: not looked up yet
    if (requestedId && manager.fetchSession) {
      // BackupManager: the session may live on other nodes; bring it here before the app runs.
      requested = await manager.fetchSession(requestedId);
    }
    const lookUp = (): StoredSession | undefined => {
      if (requested === null) {
        requested = requestedId ? manager.findSession(requestedId) : undefined;
      }
      return requested ?? undefined;
    };
    let session: Session | undefined;
    const ctx: ConclaveContext = {
      jvmRoute,
      members: () => this.#node.members().map((m) => ({ name: m.name, jvmRoute: m.jvmRoute })),
      getSession: (create = true) => {
        if (session && !session.invalid) return session;
        if (session?.invalid) requested = undefined; // that one is gone: a new one, if asked
        const found = lookUp();
        if (found) {
          found.lastAccessedTime = Date.now();
          session = new Session(found, manager, false);
        } else if (create) {
          session = new Session(manager.createSession(), manager, true);
        }
        return session ?? null;
      },
    };
    const exchange: Exchange = {
      request,
      url,
      jvmRoute,
      requestedId,
      requestedSession: lookUp,
      get usedSessionId() {
        return session?.stored.id;
      },
      replicate: async () => {
        if (session) await Promise.all(session.pending);
        const id = session && !session.invalid ? session.stored.id : lookUp()?.id;
        if (id) await manager.requestCompleted(id);
      },
      rebind: () => {
        const found = lookUp();
        if (!found) return undefined;
        found.id = withRoute(found.id, jvmRoute);
        found.metaDirty = true;
        return found.id;
      },
    };
    const run = (i: number): Promise<Response> =>
      i < app.valves.length
        ? app.valves[i].invoke(exchange, () => run(i + 1))
        : Promise.resolve(app.fetch(request, ctx));
    let response = await run(0);
    if (app.valves.length === 0 && app.config.distributable === false && session) {
      await Promise.all(session.pending);
      await manager.requestCompleted(session.stored.id); // local: clears the dirty marks
    }
    const finalId = session?.invalid ? undefined : (session?.stored.id ?? lookUp()?.id);
    const cookie = session?.invalid
      ? `${config.cookieName}=; Path=${config.path}; Max-Age=0; HttpOnly; SameSite=Lax`
      : finalId && finalId !== raw
      ? `${config.cookieName}=${finalId}; Path=${config.path}; HttpOnly; SameSite=Lax${
        config.secure ? "; Secure" : ""
      }`
      : undefined;
    if (cookie) {
      response = new Response(response.body, response);
      response.headers.append("set-cookie", cookie);
    }
    return response;
  }

  #admin(url: URL, info: RequestInfo): Response {
    if (!isLoopback(info.remoteAddress)) return new Response("Forbidden", { status: 403 });
    if (url.pathname === "/_conclave/status") {
      return Response.json({
        jvmRoute: this.#node.jvmRoute,
        uniqueId: this.#node.uniqueId.hex,
        runtime: runtimeLabel(),
        members: this.#node.members().map((m) => ({
          name: m.name,
          host: m.host,
          port: m.port,
          jvmRoute: m.jvmRoute,
          ready: m.ready,
        })),
        apps: this.#apps.map((a) => ({
          path: a.config.path,
          manager: a.manager.constructor.name,
          sessions: a.manager.sessionCount,
        })),
      });
    }
    if (url.pathname === "/_conclave/metrics") {
      return new Response(this.#metrics(), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    return new Response("Not Found", { status: 404 });
  }

  /** Prometheus text exposition of the node's counters. */
  #metrics(): string {
    const s = this.#node.channel.stats;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    const route = `jvmRoute="${this.#node.jvmRoute}"`;
    metric("conclave_members", "gauge", "Other live members.", [[
      `{${route}}`,
      this.#node.members().length,
    ]]);
    metric(
      "conclave_sessions",
      "gauge",
      "Sessions held, per app.",
      this.#apps.map((a) => [`{${route},app="${a.config.path}"}`, a.manager.sessionCount]),
    );
    metric("conclave_messages_sent_total", "counter", "Channel messages sent.", [[
      `{${route}}`,
      s.messagesSent,
    ]]);
    metric("conclave_messages_received_total", "counter", "Channel messages received.", [[
      `{${route}}`,
      s.messagesReceived,
    ]]);
    metric("conclave_bytes_sent_total", "counter", "Payload bytes sent (times destinations).", [[
      `{${route}}`,
      s.bytesSent,
    ]]);
    metric("conclave_bytes_received_total", "counter", "Payload bytes received.", [[
      `{${route}}`,
      s.bytesReceived,
    ]]);
    metric("conclave_send_failures_total", "counter", "Sends that missed a member.", [[
      `{${route}}`,
      s.sendFailures,
    ]]);
    metric(
      "conclave_replication_lag_ms",
      "gauge",
      "Mean and max time from send to receive of channel messages.",
      [
        [`{${route},stat="mean"}`, s.lagSamples ? s.lagMsTotal / s.lagSamples : 0],
        [`{${route},stat="max"}`, s.lagMsMax],
      ],
    );
    metric(
      "conclave_state_transfer_ms",
      "gauge",
      "Duration of the last state transfer into this node, per app.",
      this.#apps.map((a) => [
        `{${route},app="${a.config.path}"}`,
        (a.manager as { counters?: { transferMs?: number } }).counters?.transferMs ?? 0,
      ]),
    );
    return `${lines.join("\n")}\n`;
  }
}
