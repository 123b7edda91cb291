/**
 * Library mode's link to a node: the session manager, cookie settings and valves of one app path
 * of a node started in code (`startNode(config)`), shared by the Express store and the Hono and
 * Fastify middleware.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { ClusterNode } from "../kernel/node.ts";
import { componentLogger } from "../kernel/log.ts";
import { type AppSessions, appSessions } from "../session/request.ts";

/** Which app of the node, and how its cookie looks. */
export interface AppOptions {
  /** The app path in the node's `apps`; also the cookie's `Path`. @default "/" */
  path?: string;
  /** @default the app's `cookieName` in the config, else "JSESSIONID" */
  cookieName?: string;
  /** The cookie's `Secure` flag. @default the app's `secure` in the config */
  secure?: boolean;
}

/** One app of a node, as library mode serves it. */
export interface AppBinding extends AppSessions {
  readonly node: ClusterNode;
  readonly logger: Logger;
}

/**
 * Finds the manager of `options.path` on `node`.
 *
 * @throws {APP_ERR_LOAD} when the node has no app at that path
 */
export function bindApp(node: ClusterNode, options: AppOptions = {}): AppBinding {
  const path = options.path ?? "/";
  const app = node.config.apps.find((a) => a.path === path);
  if (!app) {
    const known = node.config.apps.map((a) => JSON.stringify(a.path)).join(", ");
    throw new ConclaveError(
      "APP_ERR_LOAD",
      `Node ${node.jvmRoute} has no app at ${JSON.stringify(path)} (it has ${
        known || "none"
      }): add { "path": ${JSON.stringify(path)}, "distributable": true } to the config's apps`,
    );
  }
  return {
    ...appSessions(node, app, options),
    node,
    logger: componentLogger(node.logger, "library"),
  };
}
