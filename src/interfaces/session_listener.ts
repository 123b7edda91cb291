/**
 * Session lifecycle hooks for apps (Tomcat's `HttpSessionListener` and
 * `HttpSessionAttributeListener`). An app module exports them as `sessionListener`:
 *
 * ```ts
 * export const sessionListener = {
 *   created: (session) => console.log("new", session.id),
 *   destroyed: (session, reason) => console.log("gone", session.id, reason),
 * };
 * ```
 * They fire on the node where the change happened and, with the manager's
 * `notifyListenersOnReplication` (default true), on every replica as the change arrives.
 *
 * @module
 */

/** What a hook sees of a session: read-only. */
export interface SessionView {
  readonly id: string;
  readonly attributes: ReadonlyMap<string, unknown>;
}

export interface SessionListener {
  created?(session: SessionView, replicated: boolean): void;
  destroyed?(session: SessionView, reason: "invalidated" | "expired", replicated: boolean): void;
  /** `value` is undefined when the attribute was removed. */
  attributeChanged?(
    session: SessionView,
    name: string,
    value: unknown,
    replicated: boolean,
  ): void;
}
