import { senderConformance } from "../../../src/conformance/transport.ts";
import { tcpTransportHarness } from "../../../src/testing/tcp_harness.ts";

senderConformance("PooledParallelSender over TCP", () => tcpTransportHarness());
senderConformance("PooledParallelSender over mutual TLS", () => tcpTransportHarness({ tls: true }));
