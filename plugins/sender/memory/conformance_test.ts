import { senderConformance } from "../../../src/conformance/transport.ts";
import { memoryTransportHarness } from "../../../src/testing/memory_harness.ts";

senderConformance("MemorySender", memoryTransportHarness);
