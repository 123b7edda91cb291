/**
 * The report `bench/http.ts` prints at the end: one table per measurement, then the goals.
 *
 * @module
 */
import type { Out } from "../results.ts";
import type { Settings } from "../settings.ts";
import { printFailovers } from "./failover.ts";
import { printGoals } from "./goals.ts";
import { printLags } from "./lag.ts";
import { printLoads } from "./load.ts";
import { printMemory, printTransfers } from "./scale.ts";

export function printReport(settings: Settings, out: Out): void {
  printLoads(out.loads);
  printLags(settings, out.lags, out.floor);
  printFailovers(out.failovers);
  printTransfers(settings, out.scales);
  printMemory(settings, out.scales);
  printGoals(settings, out);
}
