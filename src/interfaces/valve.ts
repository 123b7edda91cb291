/**
 * The Valve contract (Tomcat's `Valve` in a context's pipeline): wraps each request of a
 * distributable app. Valves run in configuration order, outermost first.
 *
 * @module
 */

/** One request as valves see it. */
export interface Exchange {
  readonly request: Request;
  readonly url: URL;
  /** This node's route. */
  readonly jvmRoute: string;
  /** The session id the request carried (cookie), if well formed. */
  readonly requestedId: string | undefined;
  /** The live session the request names, if this node holds it (looked up on first call). */
  requestedSession(): { readonly id: string } | undefined;
  /** The session the app used, once the app has run. */
  readonly usedSessionId: string | undefined;
  /** Replicates what the request changed in its session (ReplicationValve calls it). */
  replicate(): Promise<void>;
  /** Moves the requested session to this node's route (JvmRouteBinderValve calls it). */
  rebind(): string | undefined;
}

export interface Valve {
  invoke(exchange: Exchange, next: () => Promise<Response>): Promise<Response>;
}
