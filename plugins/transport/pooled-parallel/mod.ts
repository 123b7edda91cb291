/**
 * `PooledParallelSender` (Tomcat's `org.apache.catalina.tribes.transport.nio.PooledParallelSender`):
 * the sender's transport, over TCP or TLS 1.3 with a `tls` block.
 *
 * ```json
 * { "className": "PooledParallelSender", "timeout": 3000, "maxRetryAttempts": 1 }
 * ```
 * Defaults are Tomcat's. Unlike Tomcat, a send to one member never overtakes an earlier one, and
 * a failed send names each member it missed, with the cause.
 *
 * @module
 */
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { connectionSettings, TLS_ATTRIBUTE } from "../../../src/kernel/tls.ts";
import { JAVA_SOCKET_OPTIONS, javaTuning } from "../../../src/kernel/tuning.ts";
import type { AttributeSchema, InitOf } from "../../../src/interfaces/attributes.ts";
import type { Components } from "../../../src/interfaces/plugin.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "../../../src/wire/frame.ts";
import { PooledParallelSender } from "./transport.ts";

export { PooledParallelSender };

/** The transport's attributes; `ReplicationTransmitter` accepts `tls` and passes it down. */
export const TRANSPORT_ATTRIBUTES = {
  poolSize: { type: "integer", default: 25, min: 1, description: "Most sends in flight at once" },
  maxWait: {
    type: "integer",
    default: 3000,
    min: 0,
    description: "ms a send waits for a free slot of the pool",
  },
  timeout: {
    type: "integer",
    default: 3000,
    min: 1,
    description: "ms to connect, and to wait for an ack or a full buffer to drain",
  },
  keepAliveCount: {
    type: "integer",
    default: -1,
    min: -1,
    description: "Close a connection after this many sends; -1 never",
  },
  keepAliveTime: {
    type: "integer",
    default: -1,
    min: -1,
    description: "Close a connection this many ms after it opened; -1 never",
  },
  maxRetryAttempts: {
    type: "integer",
    default: 1,
    min: 0,
    description: "Reconnects for a send that never reached a socket",
  },
  maxFrameSize: {
    type: "integer",
    default: DEFAULT_MAX_FRAME_SIZE,
    min: 1024,
    max: 2 ** 31,
    description: "Largest frame sent, bytes",
  },
  maxQueuedBytes: {
    type: "integer",
    default: 16 * 1024 * 1024,
    min: 65536,
    description: "Bytes queued per connection before sends wait for the peer to read",
  },
  tls: TLS_ATTRIBUTE,
  ...javaTuning(...JAVA_SOCKET_OPTIONS, "directBuffer", "throwOnFailedAck"),
} as const satisfies AttributeSchema;

/** Builds the transport from validated attributes. */
export function createTransport(
  init: InitOf<typeof TRANSPORT_ATTRIBUTES>,
  components: Components,
): PooledParallelSender {
  return new PooledParallelSender({
    poolSize: init.poolSize,
    maxWait: init.maxWait,
    keepAliveCount: init.keepAliveCount,
    keepAliveTime: init.keepAliveTime,
    maxRetryAttempts: init.maxRetryAttempts,
    maxQueuedBytes: init.maxQueuedBytes,
    ...connectionSettings(init, components),
  });
}

export default definePlugin({
  kind: "transport",
  name: "transport/pooled-parallel",
  shortNames: ["PooledParallelSender"],
  aliases: ["org.apache.catalina.tribes.transport.nio.PooledParallelSender"],
  attributes: TRANSPORT_ATTRIBUTES,
  create: createTransport,
});
