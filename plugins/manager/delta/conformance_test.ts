import { managerConformance } from "../../../src/conformance/manager.ts";
import { deltaHarness } from "../../../src/testing/delta_harness.ts";

managerConformance("DeltaManager (sync-ack)", () => deltaHarness({ sendOptions: 6 }));
managerConformance("DeltaManager (async)", () => deltaHarness({ sendOptions: 8 }));
