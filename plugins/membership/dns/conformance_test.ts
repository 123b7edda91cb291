import { describe, it } from "node:test";
import { membershipConformance } from "../../../src/conformance/membership.ts";
import { dnsHarness } from "../../../src/testing/dns_harness.ts";
import { dnsmasqUnavailable } from "../../../src/testing/dnsmasq.ts";

const unavailable = dnsmasqUnavailable();
if (unavailable) {
  describe("membership conformance: DnsMembershipService", () => {
    it(`skipped: ${unavailable}`, { skip: unavailable }, () => {});
  });
  console.log(`DnsMembershipService conformance skipped: ${unavailable}`);
} else {
  membershipConformance("DnsMembershipService, A records", () => dnsHarness());
  membershipConformance(
    "DnsMembershipService, A records at a configured port, with a secret",
    () => dnsHarness({ explicitPort: true, attributes: { secret: "conformance-secret" } }),
  );
  membershipConformance("DnsMembershipService, SRV records", () => dnsHarness({ srv: true }));
}
