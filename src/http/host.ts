/**
 * Host mode: the node serves its apps over HTTP with SPEC's app contract (section 3); sessions go
 * through the one request path (`src/session/request.ts`) that the library doors use too.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { SessionListener } from "../interfaces/session_listener.ts";
import type { AppConfig } from "../kernel/config/types.ts";
import { configError } from "../kernel/config/config_error.ts";
import type { ClusterNode } from "../kernel/node.ts";
import { moduleUrl } from "../kernel/resolve.ts";
import { type AppSessions, SessionRequest } from "../session/request.ts";
import type { Session } from "../session/session.ts";
import { adminResponse } from "./admin.ts";
import { type HttpServer, type RequestInfo, serve } from "./serve.ts";

/** What an app's handler receives besides the request. */
export interface ConclaveContext {
  /**
   * The request's session; with `create` (default true) a new one when it has none, so only
   * `getSession(false)` can return null.
   */
  getSession(create?: true): Session;
  getSession(create: boolean): Session | null;
  /** This node's route, for pages that show which node served them. */
  readonly jvmRoute: string;
  /** The other live members. */
  members(): { name: string; jvmRoute: string }[];
}

/** An app's fetch handler. */
export type FetchApp = (request: Request, ctx: ConclaveContext) => Response | Promise<Response>;

/** An app module's default export: a function or an object with `fetch` (a Hono app). */
export type AppHandler = FetchApp | { fetch: FetchApp };

interface App {
  config: AppConfig;
  fetch: FetchApp;
  sessions: AppSessions;
}

/** Loads an app module; its default export must be a fetch handler. */
export async function loadApp(
  config: AppConfig,
  baseDir: string,
): Promise<{ fetch: FetchApp; sessionListener?: SessionListener }> {
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
  if (handler && typeof handler.fetch === "function") {
    const app = handler;
    return { fetch: (request, ctx) => app.fetch(request, ctx), sessionListener };
  }
  throw new ConclaveError(
    "APP_ERR_LOAD",
    `App ${config.module} for ${config.path} exports no fetch handler as default; expected a function or an object with fetch()`,
  );
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
    const node = this.#node;
    const { config } = node;
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
      const manager = node.managers.get(app.path);
      if (!manager) {
        throw new ConclaveError("APP_ERR_LOAD", `The node has no session manager for ${app.path}`);
      }
      if (sessionListener) manager.addSessionListener?.(sessionListener);
      this.#apps.push({
        config: app,
        fetch,
        sessions: {
          manager,
          valves: app.distributable ? node.valves : [],
          jvmRoute: node.jvmRoute,
          path: app.path,
          cookieName: app.cookieName,
          secure: app.secure,
          completeLocally: !app.distributable,
        },
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
      if (url.pathname.startsWith("/_conclave/")) {
        const apps = this.#apps.map((a) => ({ path: a.config.path, manager: a.sessions.manager }));
        return adminResponse(this.#node, apps, url, info);
      }
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
    const node = this.#node;
    const session = new SessionRequest(app.sessions, request.headers.get("cookie"));
    await session.prepare();
    const ctx = {
      jvmRoute: node.jvmRoute,
      members: () => node.members().map((m) => ({ name: m.name, jvmRoute: m.jvmRoute })),
      getSession: (create = true) => session.getSession(create),
    } as ConclaveContext;
    let response = await session.run(
      url,
      () => request,
      async () => await app.fetch(request, ctx),
    );
    const cookie = session.setCookie();
    if (cookie) {
      response = new Response(response.body, response);
      response.headers.append("set-cookie", cookie);
    }
    return response;
  }
}
