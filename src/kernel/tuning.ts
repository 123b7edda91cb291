/**
 * Tomcat attributes that tune Java's threads and sockets. A `server.xml` converted to
 * `cluster.json` carries them; they are accepted without a warning and have no effect here.
 *
 * @module
 */
/** The spec of one such attribute. */
export interface JavaTuningSpec {
  readonly type: "any";
  readonly description: string;
}

/** Schema entries for Tomcat tuning attributes that mean nothing on this runtime. */
export function javaTuning<N extends string>(...names: N[]): { readonly [P in N]: JavaTuningSpec } {
  // Typed by name, so that a plugin's schema (and so its `init`) keeps its other names.
  return Object.fromEntries(
    names.map((name) => [name, { type: "any", description: "Tomcat (Java) tuning; no effect" }]),
  ) as { readonly [P in N]: JavaTuningSpec };
}

/** Java socket options both `NioReceiver` and `PooledParallelSender` accept. */
export const JAVA_SOCKET_OPTIONS = [
  "rxBufSize",
  "txBufSize",
  "udpRxBufSize",
  "udpTxBufSize",
  "ooBInline",
  "soKeepAlive",
  "soLingerOn",
  "soLingerTime",
  "soReuseAddress",
  "soTrafficClass",
  "tcpNoDelay",
] as const;
