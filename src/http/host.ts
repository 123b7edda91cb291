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
import { type AppSessions, appSessions, SessionRequest } from "../session/request.ts";
import type { Session } from "../session/session.ts";
import {
  ADMIN_PREFIX,
  type AdminContext,
  bearerMatches,
  localOperatorRefusal,
  operatorResponse,
  probeResponse,
} from "./admin.ts";
import { limitBody } from "./body.ts";
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
  #adminServer: HttpServer | undefined;
  #state: AdminContext["state"] = "ready";
  /** Requests being answered, and who waits for there to be none. */
  #inFlight = 0;
  #idle: (() => void) | undefined;

  constructor(node: ClusterNode, logger: Logger) {
    this.#node = node;
    this.#logger = logger;
  }

  get url(): string | undefined {
    return this.#server?.url;
  }

  /**
   * Loads the apps and listens on the configured `http` (and `admin`) address.
   *
   * @throws {NODE_ERR_START} naming the address and its setting when it cannot be listened on
   */
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
      const sessions = appSessions(node, app);
      if (sessionListener) sessions.manager.addSessionListener?.(sessionListener);
      this.#apps.push({ config: app, fetch, sessions });
    }
    // Longest path first, so /shop/admin wins over /shop.
    this.#apps.sort((a, b) => b.config.path.length - a.config.path.length);
    const where = (key: string) => `${key} in ${config.file}`;
    if (config.admin) {
      const { host, port } = config.admin;
      this.#adminServer = await serve(
        host,
        port,
        (r, i) => this.handleAdmin(r, i),
        where("admin.port"),
      );
    }
    try {
      this.#server = await serve(
        config.http.host,
        config.http.port,
        (r, i) => this.handle(r, i),
        where("http.port"),
      );
    } catch (err) {
      await this.#adminServer?.close();
      this.#adminServer = undefined;
      throw err;
    }
    return this.#server.url;
  }

  /** The admin listener's URL, when the config has `admin`. */
  get adminUrl(): string | undefined {
    return this.#adminServer?.url;
  }

  /**
   * Drains: `ready` answers 503 at once, no new connection is accepted, and the requests in
   * flight are answered (their replication included) within `timeout` ms; then every connection
   * is closed.
   */
  async stop(timeout = this.#node.config.shutdownTimeout): Promise<void> {
    this.#state = "draining";
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      const inFlight = this.#inFlight;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeout);
      });
      const drained = Promise.all([server.drain(), this.#settled()]);
      const outcome = await Promise.race([drained, expired]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        this.#logger.warn(
          { inFlight: this.#inFlight, shutdownTimeout: timeout },
          "Requests still in flight at shutdownTimeout: closing their connections",
        );
      }
      const unanswered = outcome === "timeout" ? this.#inFlight : 0;
      this.#logger.info({ inFlight, answered: inFlight - unanswered }, "Drained");
      await server.close();
    }
    await this.#adminServer?.close();
    this.#adminServer = undefined;
  }

  /** Resolves once no request is being answered. */
  #settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle = resolve);
  }

  #context(): AdminContext {
    const apps = this.#apps.map((a) => ({ path: a.config.path, manager: a.sessions.manager }));
    return { node: this.#node, apps, state: this.#state };
  }

  /** Answers one request of the admin listener: probes, and with the token, the rest. */
  handleAdmin(request: Request, _info: RequestInfo): Promise<Response> {
    const url = new URL(request.url);
    const probe = probeResponse(url, this.#state);
    if (probe) return Promise.resolve(probe);
    if (!url.pathname.startsWith(ADMIN_PREFIX)) {
      return Promise.resolve(new Response("Not Found", { status: 404 }));
    }
    const token = this.#node.config.admin?.token;
    if (token !== undefined && !bearerMatches(request.headers.get("authorization"), token)) {
      return Promise.resolve(
        new Response("Unauthorized", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="conclave"' },
        }),
      );
    }
    return Promise.resolve(operatorResponse(this.#context(), url));
  }

  /** Answers one request of the app port; never throws (an app's failure is a 500). */
  async handle(request: Request, info: RequestInfo): Promise<Response> {
    const url = new URL(request.url);
    this.#inFlight++;
    try {
      if (url.pathname.startsWith(ADMIN_PREFIX)) {
        return probeResponse(url, this.#state) ?? this.#operator(request, url, info);
      }
      const app = this.#appFor(url.pathname);
      if (!app) return new Response("Not Found", { status: 404 });
      const method = request.method;
      if (method !== "GET" && method !== "HEAD") {
        const limited = await limitBody(request, this.#node.config.http.maxBodyBytes);
        if (limited instanceof Response) return limited;
        request = limited;
      }
      return await this.#serveApp(app, request, url);
    } catch (err) {
      this.#logger.error({ err, url: url.pathname }, "Request failed");
      return new Response("Internal Server Error", { status: 500 });
    } finally {
      if (--this.#inFlight === 0) this.#idle?.();
    }
  }

  /** The app serving `pathname`: the longest path that is it or a folder of it. */
  #appFor(pathname: string): App | undefined {
    for (const app of this.#apps) {
      const path = app.config.path;
      if (
        path === "/" || pathname === path ||
        (pathname.startsWith(path) && pathname.charCodeAt(path.length) === 47) // "/"
      ) return app;
    }
    return undefined;
  }

  /**
   * An operator path on the app port: never when an admin listener serves them, else only for a
   * local operator (see `localOperatorRefusal`).
   */
  #operator(request: Request, url: URL, info: RequestInfo): Response {
    if (this.#node.config.admin) return new Response("Not Found", { status: 404 });
    const refusal = localOperatorRefusal(request, url, info);
    if (refusal) {
      this.#logger.debug({ url: url.pathname, refusal }, "Admin request refused");
      return new Response("Forbidden", { status: 403 });
    }
    return operatorResponse(this.#context(), url);
  }

  async #serveApp(app: App, request: Request, url: URL): Promise<Response> {
    const session = new SessionRequest(app.sessions, request.headers.get("cookie"));
    const fetching = session.prepare();
    if (fetching) await fetching;
    const ctx = hostContext(this.#node, session);
    let response = await session.run(url, () => request, async () => await app.fetch(request, ctx));
    const cookie = session.setCookie();
    if (cookie) {
      try {
        response.headers.append("set-cookie", cookie);
      } catch {
        // Immutable headers (a response from fetch()): a copy takes the cookie.
        response = new Response(response.body, response);
        response.headers.append("set-cookie", cookie);
      }
    }
    return response;
  }
}

/**
 * The context of one request. Its members are own properties, so an app may destructure it
 * (`(request, { getSession }) => ...`) or spread it.
 */
function hostContext(node: ClusterNode, session: SessionRequest): ConclaveContext {
  return {
    jvmRoute: node.jvmRoute,
    members: () => node.members().map((m) => ({ name: m.name, jvmRoute: m.jvmRoute })),
    getSession: ((create = true) => session.getSession(create)) as ConclaveContext["getSession"],
  };
}
