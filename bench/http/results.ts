/**
 * What a run of `bench/http.ts` collects for its report.
 *
 * @module
 */
import type { FailoverRow } from "./failover.ts";
import type { LagRow } from "./lag.ts";
import type { LoadRow } from "./load.ts";
import type { ScaleRow } from "./scale.ts";
import type { summary } from "./util.ts";

export type Out = {
  loads: LoadRow[];
  lags: LagRow[];
  failovers: FailoverRow[];
  scales: ScaleRow[];
  /** The machine's own loopback delay at the light-load lag's pace (no Conclave code). */
  floor?: ReturnType<typeof summary>;
};
