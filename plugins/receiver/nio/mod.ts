/**
 * `NioReceiver` (Tomcat's `org.apache.catalina.tribes.transport.nio.NioReceiver`): the receiver
 * over TCP, or TLS 1.3 with a `tls` block.
 *
 * ```json
 * { "className": "NioReceiver", "address": "127.0.0.1", "port": 4000, "autoBind": 100,
 *   "tls": { "cert": "certs/node1.pem", "key": "certs/node1.key", "ca": "certs/ca.pem" } }
 * ```
 * `port` 0 takes a free port; otherwise the first free one of `port` .. `port + autoBind - 1`
 * (`autoBind` 0 or 1: exactly `port`).
 * `address` `"auto"` is the first non-loopback IPv4 address, as in Tomcat; the default is
 * loopback, so that nothing is exposed until you say so.
 *
 * @module
 */
import { ConclaveError } from "../../../src/errors.ts";
import type { Components } from "../../../src/interfaces/plugin.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { connectionSettings, TLS_ATTRIBUTE } from "../../../src/kernel/tls.ts";
import { JAVA_SOCKET_OPTIONS, javaTuning } from "../../../src/kernel/tuning.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "../../../src/wire/frame.ts";
import { NioReceiver } from "./receiver.ts";

/** Enough for every node of a large cluster with pooled connections, and far from 1024 fds. */
const DEFAULT_MAX_CONNECTIONS = 256;

export { NioReceiver };
export type { ReceiverStats } from "./receiver.ts";

export default definePlugin({
  kind: "receiver",
  name: "receiver/nio",
  shortNames: ["NioReceiver"],
  aliases: ["org.apache.catalina.tribes.transport.nio.NioReceiver"],
  attributes: {
    address: {
      type: "string",
      default: "127.0.0.1",
      description: 'Address to listen on; "auto" for the first non-loopback IPv4 address',
    },
    port: {
      type: "integer",
      default: 4000,
      min: 0,
      max: 65535,
      description: "First port to try; 0 for any",
    },
    autoBind: {
      type: "integer",
      default: 100,
      min: 0,
      max: 65535,
      description: "How many ports to try from `port`; 0 or 1: exactly `port`",
    },
    maxFrameSize: {
      type: "integer",
      default: DEFAULT_MAX_FRAME_SIZE,
      min: 1024,
      max: 2 ** 31,
      description: "Largest frame accepted, bytes; a larger one closes its connection",
    },
    timeout: {
      type: "integer",
      default: 3000,
      min: 1,
      description: "ms a peer may leave its acknowledgements unread before it is cut off",
    },
    maxConnections: {
      type: "integer",
      default: DEFAULT_MAX_CONNECTIONS,
      min: 1,
      description: "Connections held at once, handshaking or open; more are closed at once",
    },
    maxBufferedBytes: {
      type: "integer",
      default: 0,
      min: 0,
      max: 2 ** 40,
      description:
        "Bytes held across all connections (unfinished frames, unprocessed messages), at least 2 x maxFrameSize; 0: 2 x maxFrameSize. Beyond it a connection waits",
    },
    frameTimeout: {
      type: "integer",
      default: 10_000,
      min: 1,
      description:
        "ms to a connection's first complete frame, and from a frame's first bytes to its last",
    },
    tls: TLS_ATTRIBUTE,
    ...javaTuning(
      ...JAVA_SOCKET_OPTIONS,
      "selectorTimeout",
      "maxThreads",
      "minThreads",
      "maxIdleTime",
      "maxTasks",
      "minTasks",
      "direct",
      "useBufferPool",
      "daemon",
    ),
  },
  create: (init, components) =>
    new NioReceiver({
      address: init.address,
      port: init.port,
      autoBind: init.autoBind,
      maxConnections: init.maxConnections,
      maxBufferedBytes: bufferedBytes(init, components),
      frameTimeout: init.frameTimeout,
      ...connectionSettings(init, components),
    }),
});

/** `maxBufferedBytes`: room for one whole frame in the shared pool (half of it) at least. */
function bufferedBytes(
  init: { maxBufferedBytes: number; maxFrameSize: number },
  components: Components,
): number {
  const least = 2 * init.maxFrameSize;
  if (init.maxBufferedBytes === 0) return least;
  if (init.maxBufferedBytes >= least) return init.maxBufferedBytes;
  const expected = `0 or at least 2 x maxFrameSize (${least}), so that a whole frame always fits`;
  throw components.invalid?.(
    "maxBufferedBytes",
    String(init.maxBufferedBytes),
    expected,
    "CONFIG_ERR_RANGE",
  ) ??
    new ConclaveError("CONFIG_ERR_RANGE", `Invalid maxBufferedBytes: expected ${expected}`);
}
