/**
 * How cost grows with the cluster (issue 18, item 4). It counts, it does not time: messages and
 * bytes on the wire per session write and per new session, session copies and heap per node, and
 * heartbeat traffic per member per second, for 3, 6 and 12 members, with DeltaManager and
 * BackupManager. It prints numbers and goals; it asserts nothing.
 *
 * ```sh
 * node --import tsx bench/cost.ts                 # about 1 minute
 * node_modules/.bin/deno run -A bench/cost.ts
 * node_modules/.bin/bun bench/cost.ts
 * ```
 * Flags: `--members 3,6,12`, `--managers DeltaManager,BackupManager`, `--sessions N` (new
 * sessions, spread evenly over the nodes; default 2400), `--writes N` (default 1200),
 * `--heartbeat-seconds S` (of ManualClock time; default 10), `--pause MS` (real time after each
 * 100 ms clock step of the heartbeat run; default 15), `--skip-heartbeats`, `--json OUT.json`,
 * `--compare BASELINE.json`, `--tolerance F` (default 0.1).
 *
 * - Sessions: every node in this process on the in-memory network and a ManualClock, each with
 *   its manager, sending through `bench/cost/wire_counter.ts` (the built-in sender, wrapped):
 *   each point-to-point message is counted as the frame the TCP transport would write. Requests
 *   run one at a time, so none share a bundle.
 * - Memory: heap growth after a full GC over the new sessions and writes, divided by N. Each
 *   manager and size runs in a fresh child process of the same runtime (with `gc` exposed), so
 *   that no earlier cluster's memory is counted or freed during it.
 * - Heartbeats: N nodes in this process over real TCP on 127.0.0.1 with the channel of
 *   `bench/http.ts` (static membership with a secret), on a ManualClock: counts per second of
 *   clock time are exact whatever the machine's load.
 *
 * @module
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runCommand, runtimeCommand } from "../test/helpers/runtime.ts";
import { benchFlags } from "./lib/flags.ts";
import { type Figures, printComparison, readFigures, writeFigures } from "./lib/figures.ts";
import { runtimeLabel } from "../src/runtime/detect.ts";
import { heartbeatCost, type HeartbeatRow } from "./cost/heartbeats.ts";
import type { ManagerName, ManagerRow } from "./cost/managers.ts";
import { costFigures, printGoals, printHeartbeats, printManagers } from "./cost/report.ts";

/** One case in a child process of this runtime: a heap figure that holds only its cluster. */
async function inFreshProcess(
  manager: ManagerName,
  members: number,
  sessions: number,
  writes: number,
): Promise<ManagerRow> {
  const file = fileURLToPath(new URL("./cost/one_case.ts", import.meta.url));
  const { command, args } = runtimeCommand(file, { exposeGc: true });
  const result = await runCommand(command, [
    ...args,
    manager,
    String(members),
    String(sessions),
    String(writes),
  ]);
  const line = result.stdout.trim().split("\n").pop() ?? "";
  if (result.code !== 0 || !line.startsWith("{")) {
    throw new Error(
      `${manager} x${members} failed (exit ${result.code}): ${result.stderr.slice(-2000)}`,
    );
  }
  return JSON.parse(line) as ManagerRow;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flags = benchFlags(argv);
  const members = (flags.value("members") ?? "3,6,12").split(",").map(Number);
  if (members.some((n) => !Number.isInteger(n) || n < 2)) {
    throw new Error("--members takes whole numbers of at least 2");
  }
  const managers = (flags.value("managers") ?? "DeltaManager,BackupManager").split(",");
  for (const m of managers) {
    if (m !== "DeltaManager" && m !== "BackupManager") {
      throw new Error(`--managers takes DeltaManager and BackupManager, not ${JSON.stringify(m)}`);
    }
  }
  const sessions = Math.round(flags.number("sessions", 2400));
  const writes = Math.round(flags.number("writes", 1200));
  const seconds = flags.number("heartbeat-seconds", 10);
  const pause = flags.number("pause", 15);
  const tolerance = flags.number("tolerance", 0.1);
  const compare = flags.value("compare");
  const baseline = compare ? readFigures(compare, "cost") : undefined;
  console.log(`Conclave cost benchmark on ${runtimeLabel()}: counts, not times`);

  const rows: ManagerRow[] = [];
  for (const manager of managers as ManagerName[]) {
    for (const n of members) {
      const row = await inFreshProcess(manager, n, sessions, writes);
      process.stderr.write(
        `# ${manager} x${n}: ${row.perWrite.messages.toFixed(2)} msgs, ` +
          `${Math.round(row.perWrite.bytes)} B per write\n`,
      );
      rows.push(row);
    }
  }
  const beats: HeartbeatRow[] = [];
  if (!argv.includes("--skip-heartbeats")) {
    for (const n of members) {
      const row = await heartbeatCost(n, seconds, pause);
      process.stderr.write(`# heartbeats x${n}: ${Math.round(row.perMember.bytes)} B/s/member\n`);
      beats.push(row);
    }
  }
  printManagers(rows);
  printHeartbeats(beats);
  printGoals(rows, beats);
  const figures: Figures = costFigures(rows, beats);
  const out = flags.value("json");
  if (out) writeFigures(out, "cost", argv, figures);
  if (baseline) printComparison(baseline, figures, tolerance);
  process.exit(0);
}

await main();
