/**
 * The channel of a real cluster on 127.0.0.1, for benchmarks and end-to-end tests that start node
 * processes: static membership with a secret, `NioReceiver`, `ReplicationTransmitter`, and
 * Tomcat's default interceptors.
 *
 * @module
 */

/**
 * A `GroupChannel` receiving on the first of `receivers`. `membership` is the static membership's
 * secret (its members: every port of `receivers`), or a whole membership slot.
 */
export function loopbackChannel(
  receivers: number[],
  membership: string | Record<string, unknown>,
): Record<string, unknown> {
  return {
    className: "GroupChannel",
    membership: typeof membership === "string"
      ? {
        className: "StaticMembershipService",
        members: receivers.map((port) => ({ host: "127.0.0.1", port })),
        secret: membership,
      }
      : membership,
    receiver: { className: "NioReceiver", address: "127.0.0.1", port: receivers[0], autoBind: 1 },
    sender: { className: "ReplicationTransmitter" },
    interceptors: [
      { className: "TcpFailureDetector" },
      { className: "MessageDispatchInterceptor" },
    ],
  };
}
