/**
 * The tables, goals and JSON figures of `bench/cost.ts`.
 *
 * @module
 */
import { FigureSet } from "../lib/figures.ts";
import { fixed, int, table } from "../lib/stats.ts";
import type { HeartbeatRow } from "./heartbeats.ts";
import type { ManagerRow } from "./managers.ts";

/** Growth from the smallest cluster within this share counts as flat. */
const FLAT = 0.05;

export function printManagers(rows: readonly ManagerRow[]): void {
  if (rows.length === 0) return;
  console.log(
    `\nPer session write and per new session (1 KiB string, a timestamp, a counter), summed over ` +
      `the cluster; one request at a time, sync-ack (options 6). Frames and bytes as the TCP wire ` +
      `format carries them; acks are the frames sent back (none with async, options 8).`,
  );
  console.log(table([
    [
      "manager",
      "N",
      "write msgs",
      "write B",
      "write acks",
      "new msgs",
      "new B",
      "held/node",
      "held share",
      "2/N",
      "places/node",
      "heap/node",
      "heap/copy",
    ],
    ...rows.map((r) => [
      r.manager,
      String(r.members),
      fixed(r.perWrite.messages, 2),
      int(r.perWrite.bytes),
      fixed(r.perWrite.acks, 2),
      fixed(r.perSession.messages, 2),
      int(r.perSession.bytes),
      int(r.heldPerNode),
      fixed(r.heldShare, 3),
      fixed(2 / r.members, 3),
      r.placesPerNode === undefined ? "-" : int(r.placesPerNode),
      Number.isFinite(r.heapPerNode) ? `${fixed(r.heapPerNode / 1024 / 1024, 2)} MiB` : "-",
      Number.isFinite(r.heapPerNode) ? `${int(r.heapPerNode / r.heldPerNode)} B` : "-",
    ]),
  ]));
  console.log(
    "held: session copies per node; places: sessions whose place (primary, backup) each node " +
      "knows; heap: growth after a full GC, per node, in a fresh process per row",
  );
  const fit = backupMemoryFit(rows);
  if (fit) {
    console.log(
      `BackupManager heap per node = ${int(fit.perCopy)} B per copy held + ${
        int(fit.perPlace)
      } B ` +
        `per session in the cluster (its place, on every node)`,
    );
  }
}

/**
 * BackupManager's heap per node as `a` per copy held plus `b` per session of the cluster (the
 * place every node keeps), from its smallest and largest cluster; undefined with fewer than two.
 */
export function backupMemoryFit(rows: readonly ManagerRow[]) {
  const mine = rows.filter((r) => r.manager === "BackupManager" && Number.isFinite(r.heapPerNode))
    .sort((a, b) => a.members - b.members);
  if (mine.length < 2) return undefined;
  const [p, q] = [mine[0], mine[mine.length - 1]];
  if (p.heldPerNode === q.heldPerNode || p.sessions !== q.sessions) return undefined;
  const perCopy = (p.heapPerNode - q.heapPerNode) / (p.heldPerNode - q.heldPerNode);
  const perPlace = (p.heapPerNode - perCopy * p.heldPerNode) / p.sessions;
  return { perCopy, perPlace };
}

export function printHeartbeats(rows: readonly HeartbeatRow[]): void {
  if (rows.length === 0) return;
  console.log(
    `\nHeartbeats over TCP on 127.0.0.1 (StaticMembershipService, frequency 500 ms, a secret; ` +
      `TcpFailureDetector), per member per second of ManualClock time:`,
  );
  console.log(table([
    ["N", "heartbeats/s", "B/s", "acks/s", "ack B/s", "other frames/s", "other B/s", "seen"],
    ...rows.map((r) => [
      String(r.members),
      fixed(r.perMember.heartbeats, 2),
      int(r.perMember.bytes),
      fixed(r.perMember.acks, 2),
      int(r.perMember.ackBytes),
      fixed(r.otherPerMember.messages, 2),
      int(r.otherPerMember.bytes),
      r.seen.every((s) => s === r.members - 1) ? "all" : r.seen.join(","),
    ]),
  ]));
}

/** The goals of issue 18 item 4, printed beside the figures; never asserted. */
export function printGoals(rows: readonly ManagerRow[], beats: readonly HeartbeatRow[]): void {
  const goals: [string, boolean][] = [];
  for (const manager of ["BackupManager", "DeltaManager"] as const) {
    const mine = rows.filter((r) => r.manager === manager).sort((a, b) => a.members - b.members);
    const base = mine[0];
    if (!base) continue;
    for (const r of mine.slice(1)) {
      const growth = r.perWrite.bytes / base.perWrite.bytes;
      const members = (r.members - 1) / (base.members - 1);
      if (manager === "BackupManager") {
        goals.push([
          `BackupManager write cost ${base.members} -> ${r.members} members: x${
            fixed(growth, 2)
          } ` +
          `bytes, ${fixed(r.perWrite.messages, 2)} msgs (flat: one backup)`,
          growth <= 1 + FLAT && r.perWrite.messages <= 1,
        ]);
      } else {
        goals.push([
          `DeltaManager write cost ${base.members} -> ${r.members} members: x${fixed(growth, 2)} ` +
          `bytes (no faster than N-1: x${fixed(members, 2)})`,
          growth <= members * (1 + FLAT),
        ]);
      }
    }
    for (const r of mine) {
      if (manager === "BackupManager") {
        goals.push([
          `BackupManager at ${r.members}: ${fixed(r.heldShare, 3)} of all sessions held per ` +
          `node (about 2/N = ${fixed(2 / r.members, 3)})`,
          Math.abs(r.heldShare - 2 / r.members) <= 0.1 * (2 / r.members),
        ]);
      } else {
        goals.push([
          `DeltaManager at ${r.members}: ${fixed(r.heldShare, 3)} of all sessions per node (1)`,
          r.heldShare <= 1,
        ]);
      }
    }
  }
  const first = [...beats].sort((a, b) => a.members - b.members)[0];
  for (const r of beats) {
    if (r === first) continue;
    const growth = r.perMember.bytes / first.perMember.bytes;
    const members = (r.members - 1) / (first.members - 1);
    goals.push([
      `heartbeat bytes per member ${first.members} -> ${r.members}: x${fixed(growth, 2)} ` +
      `(static membership sends to each of N-1: x${fixed(members, 2)} stated; flat only with ` +
      `multicast)`,
      growth <= members * (1 + FLAT),
    ]);
  }
  console.log(
    `\nGoals (printed, not asserted): ${goals.filter(([, m]) => m).length} of ${goals.length} met`,
  );
  for (const [text, met] of goals) console.log(`  ${met ? "met   " : "MISSED"} ${text}`);
}

/** The figures under stable names, for `--json` and `--compare`. */
export function costFigures(rows: readonly ManagerRow[], beats: readonly HeartbeatRow[]) {
  const set = new FigureSet();
  for (const r of rows) {
    const at = `${r.manager}.n${r.members}`;
    set.add(`${at}.write.messages`, r.perWrite.messages, "msgs", "lower");
    set.add(`${at}.write.bytes`, r.perWrite.bytes, "B", "lower");
    set.add(`${at}.new_session.messages`, r.perSession.messages, "msgs", "lower");
    set.add(`${at}.new_session.bytes`, r.perSession.bytes, "B", "lower");
    set.add(`${at}.held_share`, r.heldShare, "", "lower");
    set.add(`${at}.heap_per_node`, r.heapPerNode / 1024 / 1024, "MiB", "lower");
  }
  const fit = backupMemoryFit(rows);
  set.add("BackupManager.heap_per_copy", fit?.perCopy, "B", "lower");
  set.add("BackupManager.heap_per_place", fit?.perPlace, "B", "lower");
  for (const r of beats) {
    set.add(`heartbeat.n${r.members}.per_member.frames`, r.perMember.heartbeats, "/s", "lower");
    set.add(`heartbeat.n${r.members}.per_member.bytes`, r.perMember.bytes, "B/s", "lower");
  }
  return set.figures;
}
