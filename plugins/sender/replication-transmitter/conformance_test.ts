import { senderConformance } from "../../../src/conformance/transport.ts";
import { tcpTransportHarness } from "../../../src/testing/tcp_harness.ts";

senderConformance(
  "ReplicationTransmitter over TCP",
  () => tcpTransportHarness({ sender: "transmitter" }),
);
senderConformance(
  "ReplicationTransmitter over mutual TLS",
  () => tcpTransportHarness({ sender: "transmitter", tls: true }),
);
