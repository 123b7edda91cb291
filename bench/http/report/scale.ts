/**
 * The state transfer and memory tables of `bench/http.ts`'s report.
 *
 * @module
 */
import { fixed, int, table } from "../../lib/stats.ts";
import type { ScaleRow } from "../scale.ts";
import { KIB, type Settings } from "../settings.ts";
import { GOAL_OVERHEAD_BYTES, GOAL_TRANSFER_MB_S } from "./goals.ts";

export function printTransfers(settings: Settings, scales: readonly ScaleRow[]): void {
  const transfers = scales.filter((r) => r.transfer);
  if (transfers.length > 0) {
    console.log(
      `\nState transfer: ${int(settings.sessions)} sessions of 1 KiB seeded through n1 (created ` +
        "and replicated in n1's process), then a 4th node joins; time = its " +
        `"State transfer done" ms; MB = sessions x 1024 B / 1e6 (goal: >= ${GOAL_TRANSFER_MB_S} MB/s)\n`,
    );
    console.log(table([
      [
        "runtime",
        "seeded",
        "seed s",
        "seed/s",
        "received",
        "transfer ms",
        "MB/s",
        "spawn->done ms",
        "spawn->started ms",
        "goal",
      ],
      ...transfers.map((r) => {
        const t = r.transfer!;
        return [
          r.runtime,
          int(r.sessions - r.seedFailed),
          fixed(r.seedMs / 1000, 1),
          int(r.sessions / (r.seedMs / 1000)),
          int(t.sessions),
          int(t.ms),
          fixed(t.mbPerSec, 1),
          int(t.spawnToDoneMs),
          int(t.spawnToStartedMs),
          t.mbPerSec >= GOAL_TRANSFER_MB_S ? "met" : "MISSED",
        ];
      }),
    ]));
  }
}

export function printMemory(settings: Settings, scales: readonly ScaleRow[]): void {
  if (scales.length === 0) return;
  console.log(
    `\nMemory: resident memory (after a full GC where the runtime allows) before and after ` +
      `${int(settings.sessions)} sessions of 1 KiB; overhead = bytes per session beyond the ` +
      `1024-byte payload (goal, on the joining node: <= ${GOAL_OVERHEAD_BYTES} B)\n`,
  );
  console.log(table([
    [
      "set-up",
      "runtime",
      "where",
      "sessions",
      "RSS before MiB",
      "RSS after MiB",
      "per 1000 KiB",
      "overhead B",
      "heap per 1000 KiB",
      "heap overhead B",
      "goal",
    ],
    ...scales.flatMap((r) =>
      r.memory.map((m) => [
        r.setUp === "redis" ? "express+redis" : "conclave",
        r.runtime,
        m.where,
        int(m.sessions),
        fixed(m.before.rss / 2 ** 20, 0),
        fixed(m.after.rss / 2 ** 20, 0),
        fixed((m.after.rss - m.before.rss) / (m.sessions / 1000) / KIB, 0),
        fixed(m.overhead, 0),
        Number.isFinite(m.after.heapUsed)
          ? fixed((m.after.heapUsed - m.before.heapUsed) / (m.sessions / 1000) / KIB, 0)
          : "-",
        Number.isFinite(m.after.heapUsed)
          ? fixed((m.after.heapUsed - m.before.heapUsed) / m.sessions - KIB, 0)
          : "-",
        m.where.startsWith("joiner") ? (m.overhead <= GOAL_OVERHEAD_BYTES ? "met" : "MISSED") : "",
      ])
    ),
  ]));
  console.log(
    "joiner n4: a fresh 4th node before seeding, then the same node restarted after seeding, " +
      "once the state transfer is done; replica n2 and origin n1: the same process before and " +
      "after seeding (their RSS before already holds heap pages the load runs left free, " +
      "which the sessions reuse; n1 also holds what seeding left for the GC to return)",
  );
}
