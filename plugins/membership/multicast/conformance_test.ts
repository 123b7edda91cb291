import { membershipConformance } from "../../../src/conformance/membership.ts";
import { multicastHarness } from "../../../src/testing/membership_harness.ts";

membershipConformance("McastService on 127.0.0.1", () => multicastHarness());
membershipConformance(
  "McastService with a secret",
  () => multicastHarness({ secret: "conformance-secret" }),
);
