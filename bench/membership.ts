/**
 * Membership benchmark: how fast the survivors of a cluster learn that a member died or left, and
 * whether a member whose event loop stalls gets removed by mistake. For static membership and for
 * multicast membership, with `TcpFailureDetector`. It prints numbers; it asserts nothing.
 *
 * ```sh
 * node --import tsx bench/membership.ts             # Node
 * node_modules/.bin/deno run -A bench/membership.ts   # Deno
 * node_modules/.bin/bun bench/membership.ts         # Bun
 * ```
 * Flags: `--trials N` (victims per signal and membership, default 20), `--only static|multicast`,
 * `--skip-signals`, `--skip-blocking`, `--run-seconds S` (length of the blocking run, default 45),
 * `--block-ms N` (2000), `--block-every-ms N` (10000), `--frequency N` (500), `--drop-time N`
 * (3000), `--log-level LEVEL` (of the nodes, default info), `--quick` (5 trials, a 25 s run),
 * `--keep` (keep the configurations and every node's log under `.conclave-tmp/`), `--verbose`
 * (every trial on stderr with the reasons).
 *
 * **Method.** Every node is a separate process of this runtime (`node.ts`, as the README's quick
 * start runs it), on 127.0.0.1, with random ports in 47000-49999. Two survivors stay up for the
 * whole run; a victim is started, and once both survivors log `"Member added"` for it (and it
 * logged both of them), after a random 300-800 ms (so that the kill falls anywhere in the
 * heartbeat period) it is sent SIGKILL or SIGTERM by pid. The figure is the `time` of each
 * survivor's `"Member disappeared"` line for it minus `Date.now()` taken right before
 * `process.kill` (one machine, one clock). Signals alternate, victim after victim.
 *
 * The blocking run starts a third node from `bench/lib/membership_blocker.ts` (a node started in
 * code that busy-waits `--block-ms` on each SIGUSR2) and sends it SIGUSR2 every `--block-every-ms`.
 * Every `"Member disappeared"` logged by any of the three during the run is a false removal: all
 * three processes are alive throughout (checked at the end).
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { cpus, loadavg } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { killAll, logged, NodeProcess } from "../test/helpers/node_process.ts";
import { REPO } from "../test/helpers/runtime.ts";
import { detectRuntime } from "../src/runtime/detect.ts";
import { percentile, table } from "./lib/stats.ts";
import { benchFlags } from "./lib/flags.ts";
import { loopbackChannel } from "../src/testing/loopback_channel.ts";

type Kind = "static" | "multicast";
type StopSignal = "SIGKILL" | "SIGTERM";

const { name: RUNTIME, version: RUNTIME_VERSION } = detectRuntime();

/** Goals, printed beside the figures. */
const GOAL_KILL_P99 = 1000;
const GOAL_TERM_P99 = 100;
/** How long to wait for a node to start, to join, to be found gone. */
const START_TIMEOUT = 30_000;
const JOIN_TIMEOUT = 20_000;
const DETECT_TIMEOUT = 15_000;

// ---------------------------------------------------------------- flags

interface Settings {
  trials: number;
  kinds: Kind[];
  signals: boolean;
  blocking: boolean;
  runSeconds: number;
  blockMs: number;
  blockEveryMs: number;
  frequency: number;
  dropTime: number;
  logLevel: string;
  keep: boolean;
  verbose: boolean;
}

function parseSettings(argv: readonly string[]): Settings {
  const { value, number } = benchFlags(argv);
  const quick = argv.includes("--quick");
  const only = value("only");
  if (only !== undefined && only !== "static" && only !== "multicast") {
    throw new Error(`--only takes static or multicast, not ${JSON.stringify(only)}`);
  }
  return {
    trials: Math.round(number("trials", quick ? 5 : 20)),
    kinds: only ? [only] : ["static", "multicast"],
    signals: !argv.includes("--skip-signals"),
    blocking: !argv.includes("--skip-blocking"),
    runSeconds: number("run-seconds", quick ? 25 : 45),
    blockMs: number("block-ms", 2000),
    blockEveryMs: number("block-every-ms", 10_000),
    frequency: Math.round(number("frequency", 500)),
    dropTime: Math.round(number("drop-time", 3000)),
    logLevel: value("log-level") ?? "info",
    keep: argv.includes("--keep"),
    verbose: argv.includes("--verbose"),
  };
}

function progress(text: string): void {
  process.stderr.write(`# ${text}\n`);
}

// ---------------------------------------------------------------- ports and configurations

const usedPorts = new Set<number>();

function randomPort(): number {
  for (;;) {
    const port = 47_000 + Math.floor(Math.random() * 3000);
    if (!usedPorts.has(port)) {
      usedPorts.add(port);
      return port;
    }
  }
}

/** A random TCP port in 47000-49999 that 127.0.0.1 can listen on right now. */
async function freeTcpPort(): Promise<number> {
  for (;;) {
    const port = randomPort();
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** A random UDP port in 47000-49999 that nobody has bound (only a bind, nothing is sent). */
async function freeUdpPort(): Promise<number> {
  for (;;) {
    const port = randomPort();
    const free = await new Promise<boolean>((resolve) => {
      const socket = createSocket("udp4");
      socket.once("error", () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

interface Cluster {
  kind: Kind;
  configFile: string;
  survivorPorts: [number, number];
  victimPort: number;
}

async function makeCluster(kind: Kind, dir: string, settings: Settings): Promise<Cluster> {
  const ports = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
  const { frequency, dropTime } = settings;
  const membership = kind === "static"
    ? {
      className: "StaticMembershipService",
      frequency,
      dropTime,
      members: ports.map((port) => ({ host: "127.0.0.1", port })),
    }
    : {
      className: "McastService",
      address: "228.0.0.4",
      port: await freeUdpPort(),
      bind: "127.0.0.1",
      ttl: 1,
      frequency,
      dropTime,
      // Heartbeats of another cluster that happens to use the same group and port are ignored.
      domain: `bench-${process.pid}`,
    };
  const config = {
    cluster: {
      className: "SimpleTcpCluster",
      channel: loopbackChannel(ports, membership),
    },
  };
  const configFile = join(dir, `${kind}.json`);
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return { kind, configFile, survivorPorts: [ports[0], ports[1]], victimPort: ports[2] };
}

// ---------------------------------------------------------------- nodes

let logDir = "";

function startProcess(
  script: string,
  cluster: Cluster,
  name: string,
  port: number,
  settings: Settings,
  extra: string[] = [],
): NodeProcess {
  return new NodeProcess({
    name,
    entry: join(REPO, script),
    inheritExecArgv: true,
    config: cluster.configFile,
    jvmRoute: name,
    receiverPort: port,
    args: ["--log-level", settings.logLevel, ...extra],
    logFile: join(logDir, `${cluster.kind}-${name}.log`),
  });
}

function waitStarted(node: NodeProcess): Promise<unknown> {
  return node.started(START_TIMEOUT);
}

/** Waits until `node` logged "Member added" for `member` at or after line `from`. */
function waitAdded(node: NodeProcess, member: string, from: number): Promise<unknown> {
  return node.waitFor(`"Member added" for ${member}`, logged("Member added", member), {
    from,
    timeoutMs: JOIN_TIMEOUT,
  });
}

// ---------------------------------------------------------------- detection trials

interface Detection {
  survivor: string;
  /** ms from the signal to "Member disappeared"; Infinity when not seen within DETECT_TIMEOUT. */
  ms: number;
  reason: string;
  /** What the failure detector said, when it verified the death over TCP. */
  why: string | undefined;
  /** The membership's own "Member dropped" reason, if it dropped the member itself. */
  dropped: string | undefined;
  /** ms from the signal to the detector's "still reachable; kept", when its check found it up. */
  keptAfter: number | undefined;
}

async function trial(
  cluster: Cluster,
  survivors: NodeProcess[],
  signal: StopSignal,
  victimName: string,
  settings: Settings,
): Promise<Detection[]> {
  const joinMarks = survivors.map((s) => s.mark());
  const victim = startProcess("node.ts", cluster, victimName, cluster.victimPort, settings);
  try {
    await waitStarted(victim);
    await Promise.all([
      ...survivors.map((s, i) => waitAdded(s, victimName, joinMarks[i])),
      ...survivors.map((s) => waitAdded(victim, s.name, 0)),
    ]);
    await sleep(300 + Math.random() * 500);
    const marks = survivors.map((s) => s.mark());
    const sentAt = victim.signal(signal);
    const detections = await Promise.all(survivors.map(async (s, i): Promise<Detection> => {
      const line = await s.next(logged("Member disappeared", victimName), {
        from: marks[i],
        timeoutMs: DETECT_TIMEOUT,
      });
      const member = `tcp://127.0.0.1:${cluster.victimPort}`;
      const verified = s.find(
        (l) => l.msg === "Member verified dead over TCP" && l.member === member,
        marks[i],
      );
      const dropped = s.find(logged("Member dropped", victimName), marks[i]);
      const kept = s.find(
        (l) => l.msg === "Member suspected but still reachable; kept" && l.member === member,
        marks[i],
      );
      return {
        survivor: s.name,
        ms: line ? line.time - sentAt : Infinity,
        reason: line ? String(line.reason) : "not seen",
        why: verified ? String(verified.why) : undefined,
        dropped: dropped ? String(dropped.reason) : undefined,
        keptAfter: kept ? kept.time - sentAt : undefined,
      };
    }));
    await Promise.race([victim.exited, sleep(10_000)]);
    if (victim.alive) {
      progress(`${victimName} still running 10 s after ${signal}; killing it`);
      await victim.stop(0);
    }
    return detections;
  } catch (error) {
    await victim.stop(1000);
    throw error;
  }
}

interface SignalResult {
  kind: Kind;
  signal: StopSignal;
  detections: Detection[];
}

// ---------------------------------------------------------------- blocking run

interface BlockResult {
  kind: Kind;
  runMs: number;
  blocksSent: number;
  /** Block lengths the blocker measured, ms. */
  blocked: number[];
  /** "Member disappeared" lines during the run, any node: all false, everyone was alive. */
  removals: { node: string; member: string; reason: string; at: number; sinceBlock: number }[];
  /** Membership-level drops ("Member dropped") that the failure detector may have absorbed. */
  membershipDrops: { node: string; member: string; reason: string }[];
  /** The detector's "Member suspected but still reachable; kept". */
  suspected: number;
  /** "Member added" for a member already in the cluster (a removal undone). */
  readded: number;
  allAlive: boolean;
}

async function blockingRun(
  cluster: Cluster,
  survivors: NodeProcess[],
  settings: Settings,
): Promise<BlockResult> {
  const joinMarks = survivors.map((s) => s.mark());
  const blocker = startProcess(
    "bench/lib/membership_blocker.ts",
    cluster,
    "blocker",
    cluster.victimPort,
    settings,
    ["--block-ms", String(settings.blockMs)],
  );
  const nodes = [...survivors, blocker];
  try {
    await waitStarted(blocker);
    await Promise.all([
      ...survivors.map((s, i) => waitAdded(s, "blocker", joinMarks[i])),
      ...survivors.map((s) => waitAdded(blocker, s.name, 0)),
    ]);
    const marks = nodes.map((n) => n.mark());
    const runMs = settings.runSeconds * 1000;
    const start = Date.now();
    const blockTimes: number[] = [];
    // First block after 5 s; the last one ends at least dropTime + 1 s before the run does.
    for (
      let offset = 5000;
      offset + settings.blockMs + settings.dropTime + 1000 <= runMs;
      offset += settings.blockEveryMs
    ) {
      await sleep(Math.max(0, start + offset - Date.now()));
      blockTimes.push(blocker.signal("SIGUSR2"));
      progress(
        `${cluster.kind} blocking run: block ${blockTimes.length} sent at ${offset / 1000} s`,
      );
    }
    await sleep(Math.max(0, start + runMs - Date.now()));
    const allAlive = nodes.every((n) => n.alive);
    const since = (at: number) => {
      const before = blockTimes.filter((t) => t <= at);
      return before.length === 0 ? NaN : at - before[before.length - 1];
    };
    const result: BlockResult = {
      kind: cluster.kind,
      runMs: Date.now() - start,
      blocksSent: blockTimes.length,
      blocked: blocker.lines.slice(marks[2]).filter(logged("Event loop blocked")).map((l) =>
        Number(l.blockedMs)
      ),
      removals: [],
      membershipDrops: [],
      suspected: 0,
      readded: 0,
      allAlive,
    };
    nodes.forEach((node, i) => {
      for (const line of node.lines.slice(marks[i])) {
        const member = String(line.jvmRoute ?? line.member);
        if (line.msg === "Member disappeared") {
          result.removals.push({
            node: node.name,
            member,
            reason: String(line.reason),
            at: line.time - start,
            sinceBlock: since(line.time),
          });
        } else if (line.msg === "Member dropped") {
          result.membershipDrops.push({
            node: node.name,
            member,
            reason: String(line.reason),
          });
        } else if (line.msg === "Member suspected but still reachable; kept") {
          result.suspected++;
        } else if (line.msg === "Member added") {
          result.readded++;
        }
      }
    });
    return result;
  } finally {
    await blocker.stop();
  }
}

// ---------------------------------------------------------------- one membership

async function runKind(
  kind: Kind,
  dir: string,
  settings: Settings,
): Promise<{ signals: SignalResult[]; block: BlockResult | undefined }> {
  const cluster = await makeCluster(kind, dir, settings);
  progress(
    `${kind}: survivors on ${cluster.survivorPorts.join(", ")}, victims on ${cluster.victimPort}`,
  );
  const survivors = [
    startProcess("node.ts", cluster, "s1", cluster.survivorPorts[0], settings),
    startProcess("node.ts", cluster, "s2", cluster.survivorPorts[1], settings),
  ];
  try {
    await Promise.all(survivors.map(waitStarted));
    await Promise.all([waitAdded(survivors[0], "s2", 0), waitAdded(survivors[1], "s1", 0)]);
    const signals: SignalResult[] = [
      { kind, signal: "SIGKILL", detections: [] },
      { kind, signal: "SIGTERM", detections: [] },
    ];
    if (settings.signals) {
      for (let i = 0; i < settings.trials; i++) {
        for (const result of signals) {
          const name = `v${result.signal === "SIGKILL" ? "k" : "t"}${
            String(i + 1).padStart(2, "0")
          }`;
          const detections = await trial(cluster, survivors, result.signal, name, settings);
          result.detections.push(...detections);
          const text = detections.map((d) =>
            `${d.survivor} ${ms(d.ms)}${settings.verbose ? ` ${describe(d)}` : ""}`
          ).join(", ");
          progress(`${kind} ${result.signal} ${i + 1}/${settings.trials}: ${text}`);
        }
      }
    }
    let block: BlockResult | undefined;
    if (settings.blocking) {
      progress(
        `${kind} blocking run: ${settings.runSeconds} s, ${settings.blockMs} ms every ${settings.blockEveryMs} ms`,
      );
      block = await blockingRun(cluster, survivors, settings);
    }
    return { signals: settings.signals ? signals : [], block };
  } finally {
    await Promise.all(survivors.map((s) => s.stop()));
  }
}

// ---------------------------------------------------------------- report

function ms(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value)} ms` : `>${DETECT_TIMEOUT} ms`;
}

function describe(d: Detection): string {
  const parts = [d.reason];
  if (d.dropped) parts.push(`membership dropped: ${d.dropped}`);
  if (d.keptAfter !== undefined) {
    parts.push(`detector found it still reachable ${ms(d.keptAfter)} after the signal; kept`);
  }
  if (d.why) parts.push(`detector verified dead: ${d.why}`);
  return `(${parts.join("; ")})`;
}

function counts(values: readonly string[]): string {
  const map = new Map<string, number>();
  for (const v of values) map.set(v, (map.get(v) ?? 0) + 1);
  return [...map].map(([k, n]) => `${k} ${n}`).join(", ") || "-";
}

function signalRows(results: readonly SignalResult[]): string[][] {
  const rows = [[
    "membership",
    "signal",
    "samples",
    "p50",
    "p99",
    "max",
    "min",
    "reasons",
    "kept",
    "goal",
    "met",
  ]];
  for (const r of results) {
    const sorted = r.detections.map((d) => d.ms).sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    const goal = r.signal === "SIGKILL" ? GOAL_KILL_P99 : GOAL_TERM_P99;
    rows.push([
      r.kind,
      r.signal,
      String(sorted.length),
      ms(percentile(sorted, 50)),
      ms(p99),
      ms(sorted[sorted.length - 1]),
      ms(sorted[0]),
      counts(r.detections.map((d) => d.reason)),
      String(r.detections.filter((d) => d.keptAfter !== undefined).length),
      `p99 <= ${goal} ms`,
      sorted.length === 0 ? "-" : p99 <= goal ? "yes" : "NO",
    ]);
  }
  return rows;
}

function blockRows(results: readonly BlockResult[], settings: Settings): string[][] {
  const rows = [[
    "membership",
    "run",
    "blocks",
    "blocked (measured)",
    "false removals",
    "membership drops",
    "kept as suspect",
    "re-added",
    "all alive",
    "goal",
    "met",
  ]];
  for (const r of results) {
    rows.push([
      r.kind,
      `${Math.round(r.runMs / 1000)} s`,
      `${r.blocksSent} x ${settings.blockMs} ms`,
      r.blocked.length === 0
        ? "-"
        : `${Math.min(...r.blocked)}-${Math.max(...r.blocked)} ms (${r.blocked.length})`,
      String(r.removals.length),
      String(r.membershipDrops.length),
      String(r.suspected),
      String(r.readded),
      r.allAlive ? "yes" : "NO",
      "0",
      r.removals.length === 0 ? "yes" : "NO",
    ]);
  }
  return rows;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const began = Date.now();
  const dir = join(REPO, ".conclave-tmp", `bench-membership-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  logDir = dir;
  // Whatever ends this process early ends the nodes it started first (by pid).
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void killAll();
      process.exit(130);
    });
  }
  process.once("uncaughtException", (error) => {
    void killAll();
    console.error(`membership bench failed: ${error.stack ?? error}`);
    process.exit(1);
  });
  const load = () => loadavg().map((n) => n.toFixed(2)).join(" ");
  console.log(
    `Conclave membership benchmark: ${RUNTIME} ${RUNTIME_VERSION}, ${cpus().length} cpus, load ${load()}`,
  );
  console.log(
    `3 nodes on 127.0.0.1 (2 survivors + 1 victim restarted per trial), each a ${RUNTIME} process; ` +
      `TcpFailureDetector + MessageDispatchInterceptor; frequency ${settings.frequency} ms, ` +
      `dropTime ${settings.dropTime} ms` +
      (settings.signals
        ? `; ${settings.trials} victims per signal and membership, each seen by 2 survivors`
        : ""),
  );

  const signalResults: SignalResult[] = [];
  const blockResults: BlockResult[] = [];
  let failed: unknown;
  try {
    for (const kind of settings.kinds) {
      const { signals, block } = await runKind(kind, dir, settings);
      signalResults.push(...signals);
      if (block) blockResults.push(block);
      for (const r of signals) {
        const sorted = r.detections.map((d) => d.ms).sort((a, b) => a - b);
        console.log(JSON.stringify({
          bench: "membership",
          runtime: RUNTIME,
          membership: r.kind,
          signal: r.signal,
          samples: sorted.length,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          max: sorted[sorted.length - 1],
          reasons: counts(r.detections.map((d) => d.reason)),
        }));
      }
      if (block) {
        console.log(JSON.stringify({
          bench: "membership",
          runtime: RUNTIME,
          membership: block.kind,
          case: "blocked event loop",
          runMs: block.runMs,
          blocks: block.blocksSent,
          blockMs: settings.blockMs,
          falseRemovals: block.removals.length,
          membershipDrops: block.membershipDrops.length,
          suspected: block.suspected,
          readded: block.readded,
          allAlive: block.allAlive,
        }));
      }
    }
  } catch (error) {
    failed = error;
  } finally {
    void killAll();
  }

  if (signalResults.length > 0) {
    console.log(
      `\nDetection: signal sent to the victim -> "Member disappeared" logged by each survivor` +
        ` (goal: kill -9 p99 <= ${GOAL_KILL_P99} ms, Tomcat's default 3000 ms; graceful stop` +
        ` p99 <= ${GOAL_TERM_P99} ms)\n`,
    );
    console.log(table(signalRows(signalResults)));
    console.log(
      `\nreasons: as logged with "Member disappeared"; kept: samples in which TcpFailureDetector's` +
        ` check found the victim's receiver still accepting after the signal and kept it as a` +
        ` suspect; p99 of ${signalResults[0].detections.length} samples is the nearest rank`,
    );
    for (const r of signalResults) {
      const odd = r.detections.filter((d) =>
        d.ms > (r.signal === "SIGKILL" ? GOAL_KILL_P99 : GOAL_TERM_P99)
      );
      if (odd.length === 0) continue;
      console.log(`\n${r.kind} ${r.signal}: ${odd.length} over the goal:`);
      for (const d of odd) console.log(`  ${d.survivor} ${ms(d.ms)} ${describe(d)}`);
    }
  }
  if (blockResults.length > 0) {
    console.log(
      `\nFalse removals: one of 3 nodes busy-waits ${settings.blockMs} ms every ` +
        `${settings.blockEveryMs} ms; every "Member disappeared" on any node counts (goal: 0)\n`,
    );
    console.log(table(blockRows(blockResults, settings)));
    for (const r of blockResults) {
      for (const x of r.removals) {
        console.log(
          `  ${r.kind}: ${x.node} removed ${x.member} (${x.reason}) at ${
            (x.at / 1000).toFixed(1)
          } s, ${x.sinceBlock} ms after a block began`,
        );
      }
      for (const x of r.membershipDrops) {
        console.log(`  ${r.kind}: ${x.node}'s membership dropped ${x.member} (${x.reason})`);
      }
    }
  }
  console.log(`\nload ${load()}; wall time ${((Date.now() - began) / 1000).toFixed(0)} s`);
  if (settings.keep || failed) {
    console.log(`configurations and node logs: ${relative(process.cwd(), dir) || dir}`);
  } else rmSync(dir, { recursive: true, force: true });
  if (failed) {
    console.error(`membership bench failed: ${(failed as Error).stack ?? failed}`);
    process.exit(1);
  }
  process.exit(0);
}

await main();
