/**
 * Conformance suites, one per plugin kind: run the one for your plugin's kind from a test file.
 *
 * @example
 * ```ts
 * import { interceptorConformance } from "conclave/testing";
 * interceptorConformance("MyInterceptor", { create: async () => new MyInterceptor() });
 * ```
 *
 * @module
 */
export { interceptorConformance, type InterceptorHarness } from "./interceptor.ts";
export {
  membershipConformance,
  type MembershipHarness,
  type MembershipNode,
  Recorder,
} from "./membership.ts";
export { receiverConformance, senderConformance, type TransportHarness } from "./transport.ts";
export { managerConformance, type ManagerHarness } from "./manager.ts";
export { deferred, waitFor } from "./wait.ts";
export { ManualClock } from "../kernel/manual_clock.ts";
export { MemoryNetwork } from "../../plugins/membership/memory/network.ts";
