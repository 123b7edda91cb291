import { interceptorConformance } from "../../../src/conformance/interceptor.ts";
import { testComponents } from "../../../src/testing/tcp_harness.ts";
import { nodeSockets } from "../../../src/runtime/node_sockets.ts";
import type { SocketProvider, StreamSocket } from "../../../src/runtime/sockets.ts";
import plugin from "./mod.ts";

/** Every member's receiver accepts: the detector behaves as a plain layer. */
const reachable: SocketProvider = {
  ...nodeSockets,
  connect: () => Promise.resolve({ destroy() {} } as unknown as StreamSocket),
};

interceptorConformance("TcpFailureDetector", {
  create: () =>
    Promise.resolve(
      plugin.create(
        { connectTimeout: 1000, removeSuspectsTimeout: 300 },
        testComponents({ sockets: reachable }),
      ),
    ),
});
