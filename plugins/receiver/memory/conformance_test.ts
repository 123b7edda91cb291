import { receiverConformance } from "../../../src/conformance/transport.ts";
import { memoryTransportHarness } from "../../../src/testing/memory_harness.ts";

receiverConformance("MemoryReceiver", memoryTransportHarness);
