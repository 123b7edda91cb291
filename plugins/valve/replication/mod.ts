/**
 * `ReplicationValve` (Tomcat's `org.apache.catalina.ha.tcp.ReplicationValve`): at the end of each
 * request, replicates what it changed in its session, unless the URI matches `filter`.
 *
 * ```json
 * { "className": "ReplicationValve", "filter": ".*\\.(gif|js|css|png)$", "statistics": true }
 * ```
 *
 * @module
 */
import type { Logger } from "../../../src/interfaces/logger.ts";
import type { Exchange, Valve } from "../../../src/interfaces/valve.ts";
import { describeValue } from "../../../src/errors.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";

export class ReplicationValve implements Valve {
  #filter: RegExp | undefined;
  #logger: Logger;
  /** Requests seen, replicated and skipped by the filter; total replication time, ms. */
  readonly stats = { requests: 0, replicated: 0, filtered: 0, replicationMs: 0 };

  constructor(filter: RegExp | undefined, logger: Logger) {
    this.#filter = filter;
    this.#logger = logger;
  }

  async invoke(exchange: Exchange, next: () => Promise<Response>): Promise<Response> {
    const response = await next();
    this.stats.requests++;
    if (this.#filter?.test(exchange.url.pathname)) {
      this.stats.filtered++;
      return response;
    }
    const started = performance.now();
    try {
      await exchange.replicate();
      this.stats.replicated++;
    } catch (err) {
      // The request succeeded here; the members that missed it are named in the error.
      this.#logger.warn(
        { err: (err as Error).message, url: exchange.url.pathname },
        "Session replication failed",
      );
    }
    this.stats.replicationMs += performance.now() - started;
    return response;
  }
}

export default definePlugin({
  kind: "valve",
  name: "valve/replication",
  shortNames: ["ReplicationValve"],
  aliases: ["org.apache.catalina.ha.tcp.ReplicationValve"],
  attributes: {
    filter: {
      type: "string",
      default: "",
      description: "Regular expression of URIs whose requests never replicate",
    },
    statistics: {
      type: "boolean",
      default: false,
      description: "Keep request and replication counters",
    },
    primaryIndicator: { type: "any", description: "Tomcat; no effect" },
    primaryIndicatorName: { type: "any", description: "Tomcat; no effect" },
  },
  create: (init, components) => {
    const text = init.filter;
    let filter: RegExp | undefined;
    try {
      filter = text ? new RegExp(text) : undefined;
    } catch (cause) {
      throw components.invalid?.(
        "filter",
        describeValue(text),
        `a regular expression (${(cause as Error).message})`,
      ) ?? cause;
    }
    return new ReplicationValve(filter, components.logger);
  },
});
