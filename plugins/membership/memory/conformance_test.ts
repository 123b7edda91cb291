import { membershipConformance } from "../../../src/conformance/membership.ts";
import { memoryMembershipHarness } from "../../../src/testing/memory_harness.ts";

membershipConformance("MemoryMembership", memoryMembershipHarness);
