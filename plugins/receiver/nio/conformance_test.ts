import { receiverConformance } from "../../../src/conformance/transport.ts";
import { tcpTransportHarness } from "../../../src/testing/tcp_harness.ts";

receiverConformance("NioReceiver over TCP", () => tcpTransportHarness());
receiverConformance("NioReceiver over mutual TLS", () => tcpTransportHarness({ tls: true }));
