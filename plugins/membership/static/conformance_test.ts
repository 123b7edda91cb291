import { membershipConformance } from "../../../src/conformance/membership.ts";
import { staticHarness } from "../../../src/testing/membership_harness.ts";

membershipConformance("StaticMembershipService on 127.0.0.1", () => staticHarness());
membershipConformance(
  "StaticMembershipService with a secret",
  () => staticHarness({ secret: "conformance-secret" }),
);
