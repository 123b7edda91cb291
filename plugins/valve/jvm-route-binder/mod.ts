/**
 * `JvmRouteBinderValve` (Tomcat's `org.apache.catalina.ha.session.JvmRouteBinderValve`): when a
 * request names a session routed to another node (that node died and the balancer sent the
 * client here), the session's id suffix becomes this node's route; the new id is replicated and
 * sent back in the cookie, so the balancer's stickiness follows.
 *
 * ```json
 * { "className": "JvmRouteBinderValve", "enabled": true }
 * ```
 *
 * @module
 */
import type { Logger } from "../../../src/interfaces/logger.ts";
import type { Exchange, Valve } from "../../../src/interfaces/valve.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { parseSessionId } from "../../../src/session/ids.ts";

export class JvmRouteBinderValve implements Valve {
  #enabled: boolean;
  #logger: Logger;
  /** Sessions moved to this node. */
  rebinds = 0;

  constructor(enabled: boolean, logger: Logger) {
    this.#enabled = enabled;
    this.#logger = logger;
  }

  invoke(exchange: Exchange, next: () => Promise<Response>): Promise<Response> {
    const route = parseSessionId(exchange.requestedId)?.route;
    if (
      this.#enabled && route !== undefined && route !== exchange.jvmRoute &&
      exchange.requestedSession()
    ) {
      const moved = exchange.rebind();
      if (moved) {
        this.rebinds++;
        this.#logger.info(
          { from: exchange.requestedId, to: moved },
          "Session failed over to this node",
        );
      }
    }
    return next();
  }
}

export default definePlugin({
  kind: "valve",
  name: "valve/jvm-route-binder",
  shortNames: ["JvmRouteBinderValve"],
  aliases: ["org.apache.catalina.ha.session.JvmRouteBinderValve"],
  attributes: {
    enabled: { type: "boolean", default: true, description: "Rebind failed-over sessions" },
    sessionIdAttribute: { type: "any", description: "Tomcat; no effect" },
  },
  create: (init, { logger }) => new JvmRouteBinderValve(init.enabled, logger),
});
