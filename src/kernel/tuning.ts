/**
 * Tomcat attributes that tune Java's threads and sockets. A `server.xml` converted to
 * `cluster.json` carries them; they are accepted without a warning and have no effect here.
 *
 * @module
 */
import type { AttributeSchema } from "../interfaces/attributes.ts";

/** Schema entries for Tomcat tuning attributes that mean nothing on this runtime. */
export function javaTuning(...names: string[]): AttributeSchema {
  return Object.fromEntries(
    names.map((name) => [name, { type: "any", description: "Tomcat (Java) tuning; no effect" }]),
  );
}

/** Java socket options both `NioReceiver` and `PooledParallelSender` accept. */
export const JAVA_SOCKET_OPTIONS: readonly string[] = [
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
];
