/**
 * Channel benchmark (issue 4): Conclave's TCP/TLS transport between two processes on loopback,
 * next to a raw-socket baseline on the same runtime. It prints numbers; it asserts nothing.
 *
 * ```sh
 * node --import tsx bench/channel.ts            # Node
 * node_modules/.bin/deno run -A bench/channel.ts  # Deno
 * node_modules/.bin/bun bench/channel.ts        # Bun
 * ```
 * Flags: `--quick` (one short round per case), `--only tcp|secret|tls`, `--rounds N`, `--seconds S`
 * (length of a timed round), `--async-window N`, `--sync-window N`, `--filter TEXT` (only the
 * cases whose name contains TEXT, such as `"async 1KiB"` or `rtt`), `--verbose` (every round on
 * stderr), `--reuse-id` (one message id for all sends, to take `UniqueId.random()` out of the
 * figures).
 *
 * This process is the sender. It starts a second process of the same runtime (`--role=receiver`)
 * holding a Conclave `NioReceiver` and a raw baseline server for each transport, and talks to it
 * over its stdin/stdout (ports, counters). Each case runs a warm-up that sizes the timed round,
 * then alternates Conclave and baseline rounds; figures are medians of the rounds.
 *
 * Transports: `tcp` (plain), `secret` (plain TCP with a membership secret: the channel handshake,
 * then AES-256-GCM records; its baseline is the plain one) and `tls` (mutual TLS 1.3). A last table
 * sets each `secret` and `tls` row beside the plain Conclave row of the same case (goal for the
 * secret: >= 0.7 of plain throughput).
 *
 * Throughput rows keep a window of sends in flight (`poolSize` is raised so that the pool is not
 * the limit). An async round ends with one sync-ack message, so its time covers delivery and
 * processing of everything before it. The baseline writes the same number of bytes per frame,
 * coalesced per tick with cork/uncork as `FrameWriter` does, under the same window; its server
 * splits frames like `FrameDecoder` and acks the frames that ask for it.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LogFn, Logger } from "../src/interfaces/logger.ts";
import type { Member } from "../src/interfaces/member.ts";
import { SendOptions } from "../src/interfaces/message.ts";
import type { Sender } from "../src/interfaces/transport.ts";
import { UniqueId } from "../src/interfaces/unique_id.ts";
import {
  tcpMember,
  TEST_CERTS,
  testComponents,
  testTls,
  testTlsBlock,
} from "../src/testing/tcp_harness.ts";
import { attributeDefaults } from "../src/kernel/config/attributes.ts";
import { encodeMessageHeader } from "../src/wire/envelope.ts";
import { FRAME_PREFIX } from "../src/wire/frame.ts";
import receiverPlugin from "../plugins/receiver/nio/mod.ts";
import transportPlugin from "../plugins/transport/pooled-parallel/mod.ts";
import { FLAG_ACK, RawClient, type RawCounters, rawFrame, rawServer } from "./lib/raw.ts";
import { fixed, int, median, percentile, spreadPercent, table } from "./lib/stats.ts";
import { benchFlags } from "./lib/flags.ts";
import { runtimeCommand } from "../test/helpers/runtime.ts";
import { detectRuntime } from "../src/runtime/detect.ts";

type Transport = "tcp" | "secret" | "tls";
const TRANSPORTS: readonly Transport[] = ["tcp", "secret", "tls"];
/** The bench cluster's secret (both processes hold it). */
const BENCH_SECRET = "bench-channel-secret-0123456789abcdef0123456789abcdef";
type Mode = "async" | "sync-ack";

const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;
const KIB = 1024;
const POOL_SIZE = 10_000;
/** Seconds of warm-up for the `secret` cases (see `Bench.#warmup`). */
const SECRET_WARMUP = 4;

// ---------------------------------------------------------------- runtime and flags

const { name: RUNTIME, version: RUNTIME_VERSION } = detectRuntime();

interface Settings {
  quick: boolean;
  transports: Transport[];
  rounds: number;
  /** Length of a timed round, s. */
  seconds: number;
  /** Length of the warm-up that sizes the rounds, s. */
  warmup: number;
  asyncWindow: number;
  syncWindow: number;
  /** Runs only the cases whose name contains this text (`async 1KiB`, `rtt`). */
  filter: string | undefined;
  /** Prints every round's count and time on stderr. */
  verbose: boolean;
  /** One message id for every send instead of `UniqueId.random()` each (isolates its cost). */
  reuseId: boolean;
}

function parseFlags(argv: readonly string[]): Settings & { role: string } {
  const { value, number } = benchFlags(argv);
  const quick = argv.includes("--quick");
  const only = value("only");
  if (only !== undefined && !TRANSPORTS.includes(only as Transport)) {
    throw new Error(`--only takes tcp, secret or tls, not ${JSON.stringify(only)}`);
  }
  return {
    role: value("role") ?? "sender",
    quick,
    transports: only ? [only as Transport] : [...TRANSPORTS],
    rounds: Math.round(number("rounds", quick ? 1 : 3)),
    seconds: number("seconds", quick ? 0.3 : 1.2),
    warmup: quick ? 0.15 : 0.5,
    asyncWindow: Math.round(number("async-window", 256)),
    syncWindow: Math.round(number("sync-window", 64)),
    filter: value("filter"),
    verbose: argv.includes("--verbose"),
    reuseId: argv.includes("--reuse-id"),
  };
}

/** Warnings and errors of the transport go to stderr, tagged with the role; the rest is dropped. */
function stderrLogger(role: string): Logger {
  const quiet: LogFn = () => {};
  const loud: LogFn = (fields: object | string, message?: string) => {
    const text = typeof fields === "string" ? fields : `${message} ${JSON.stringify(fields)}`;
    process.stderr.write(`# ${role}: ${text}\n`);
  };
  const logger: Logger = {
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: loud,
    error: loud,
    fatal: loud,
    child: () => logger,
    isLevelEnabled: (level) => level === "warn" || level === "error" || level === "fatal",
  };
  return logger;
}

function writeLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

// ---------------------------------------------------------------- receiver role (child)

async function receiverRole(transports: Transport[]): Promise<void> {
  const conclave = { messages: 0, bytes: 0 };
  const raw: RawCounters = { frames: 0, bytes: 0 };
  const ports: Record<string, { conclave: number; raw: number; id: string }> = {};
  for (const transport of transports) {
    const id = UniqueId.random();
    const receiver = await receiverPlugin.create(
      {
        ...attributeDefaults(receiverPlugin.attributes),
        address: "127.0.0.1",
        port: 0,
        autoBind: 1,
        maxFrameSize: 32 * 1024 * 1024,
        timeout: 3000,
        tls: transport === "tls" ? testTlsBlock("node1") : undefined,
      },
      testComponents({
        logger: stderrLogger("receiver"),
        localMember: { id, jvmRoute: "node1" },
        channelSecret: transport === "secret" ? BENCH_SECRET : undefined,
      }),
    );
    receiver.setHandler((message) => {
      conclave.messages++;
      conclave.bytes += message.payload.length;
      return Promise.resolve();
    });
    await receiver.start();
    const server = await rawServer(transport === "tls" ? testTls("node1") : undefined, raw);
    ports[transport] = {
      conclave: receiver.boundAddress?.port ?? 0,
      raw: (server.address() as AddressInfo).port,
      id: id.hex,
    };
  }
  writeLine({ type: "ready", pid: process.pid, ports });
  const input = createInterface({ input: process.stdin });
  input.on("line", (line) => {
    if (line.trim() === "stats") writeLine({ type: "stats", conclave, raw });
  });
  // The parent kills this process by pid; a closed stdin means the parent is gone.
  input.on("close", () => process.exit(0));
  // Exit cleanly on the parent's SIGTERM, so that `node --cpu-prof` writes this side's profile.
  process.on("SIGTERM", () => process.exit(0));
}

// ---------------------------------------------------------------- sender role (parent)

interface Link {
  transport: Transport;
  sender: Sender;
  member: Member;
  raw: RawClient;
}

interface Row {
  bench: "channel";
  runtime: string;
  version: string;
  transport: Transport;
  case: string;
  mode: Mode | "rtt";
  payloadBytes: number;
  /** Bytes per frame on the wire, Conclave envelope included (the baseline sends as many). */
  wireBytes: number;
  window: number;
  rounds: number;
  msgsPerSec: number;
  mbPerSec: number;
  baselineMsgsPerSec: number;
  baselineMbPerSec: number;
  /** Conclave / baseline, throughput (higher is better; 1 = parity). */
  ratio: number;
  spreadPct: number;
  baselineSpreadPct: number;
  /** Every timed round, MB/s, for Conclave and the baseline. */
  roundsMbPerSec?: number[];
  baselineRoundsMbPerSec?: number[];
  p50Us?: number;
  p99Us?: number;
  baselineP50Us?: number;
  baselineP99Us?: number;
  goal?: string;
  goalMet?: boolean;
}

class ChildLink {
  readonly child: ChildProcess;
  #waiters: ((value: Record<string, unknown>) => void)[] = [];
  #exited: Promise<void>;

  constructor(child: ChildProcess) {
    this.child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(line);
      } catch {
        process.stderr.write(`receiver: ${line}\n`);
        return;
      }
      this.#waiters.shift()?.(value);
    });
  }

  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      this.#exited.then(() => reject(new Error("the receiver process exited")));
    });
  }

  async stats(): Promise<{ conclave: { messages: number }; raw: RawCounters }> {
    const reply = this.next();
    this.child.stdin!.write("stats\n");
    return await reply as never;
  }

  /** Ends the receiver process by its pid and waits for it to exit. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await Promise.race([this.#exited, new Promise((r) => setTimeout(r, 3000))]);
  }
}

/**
 * Keeps `window` operations in flight until `seconds` have passed, then waits for those still
 * in flight; resolves with how many completed.
 */
function pumpFor(seconds: number, window: number, op: () => Promise<void>): Promise<number> {
  return new Promise((resolve, reject) => {
    const end = now() + seconds * 1000;
    let issued = 0;
    let done = 0;
    let failed = false;
    let open = true;
    const settle = () => {
      done++;
      fill();
      if (!open && done === issued) resolve(done);
    };
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    const fill = () => {
      while (open && !failed && issued - done < window) {
        if (now() >= end) {
          open = false;
          break;
        }
        issued++;
        op().then(settle, fail);
      }
    };
    fill();
  });
}

const now = () => performance.now();

/** One timed round: operations completed and seconds taken. */
interface Round {
  n: number;
  seconds: number;
}

class Bench {
  readonly settings: Settings;
  /** The sending member; its jvmRoute matches the name in the sender's certificate (node2). */
  readonly self: Member = tcpMember("127.0.0.1", 1, "node2");
  /** Messages and frames sent, to check against the receiver's counters at the end. */
  sent = { conclave: 0, raw: 0 };
  #fixedId = UniqueId.random();

  constructor(settings: Settings) {
    this.settings = settings;
  }

  send(link: Link, payload: Uint8Array, options: number): Promise<void> {
    this.sent.conclave++;
    return link.sender.sendMessage({
      options,
      timestamp: Date.now(),
      uniqueId: this.settings.reuseId ? this.#fixedId : UniqueId.random(),
      address: this.self,
      payload,
    }, [link.member]);
  }

  sendRaw(link: Link, frame: Uint8Array, ack: boolean): Promise<void> {
    this.sent.raw++;
    return link.raw.send(frame, ack);
  }

  async throughput(link: Link, size: number, mode: Mode): Promise<Row> {
    const { asyncWindow, syncWindow, rounds, seconds } = this.settings;
    const warmup = this.#warmup(link);
    const options = mode === "async" ? 0 : SYNC;
    const window = mode === "async" ? asyncWindow : syncWindow;
    const payload = new Uint8Array(size).fill(0x5a);
    const wire = wireBytes(size, options);
    const plain = rawFrame(wire, 0);
    const acked = rawFrame(wire, FLAG_ACK);
    const conclaveRound = async (forSeconds: number): Promise<Round> => {
      const t0 = now();
      const n = await pumpFor(forSeconds, window, () => this.send(link, payload, options));
      if (mode === "async") await this.send(link, payload, SYNC); // everything before is processed
      return this.#took("conclave", n, t0);
    };
    const rawRound = async (forSeconds: number): Promise<Round> => {
      const t0 = now();
      let n: number;
      if (mode === "async") {
        n = await pumpFor(forSeconds, window, () => this.sendRaw(link, plain, false));
        await this.sendRaw(link, acked, true);
      } else {
        n = await pumpFor(forSeconds, window, () => this.sendRaw(link, acked, true));
      }
      return this.#took("baseline", n, t0);
    };
    await conclaveRound(warmup);
    await rawRound(warmup);
    const c: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const one = await conclaveRound(seconds);
      c.push(one.n / one.seconds);
      const two = await rawRound(seconds);
      b.push(two.n / two.seconds);
    }
    const msgs = median(c);
    const baseMsgs = median(b);
    const mb = (msgs * size) / 1e6;
    const baseMb = (baseMsgs * size) / 1e6;
    const row: Row = {
      ...this.#rowBase(link.transport, `${link.transport} ${mode} ${size / KIB}KiB`, size, wire),
      mode,
      window,
      msgsPerSec: msgs,
      mbPerSec: mb,
      baselineMsgsPerSec: baseMsgs,
      baselineMbPerSec: baseMb,
      ratio: mb / baseMb,
      spreadPct: spreadPercent(c),
      baselineSpreadPct: spreadPercent(b),
      roundsMbPerSec: c.map((x) => round1((x * size) / 1e6)),
      baselineRoundsMbPerSec: b.map((x) => round1((x * size) / 1e6)),
    };
    if (mode === "async" && size === 64 * KIB) {
      const min = link.transport === "tcp" ? 0.7 : 0.5;
      row.goal = `ratio >= ${min}`;
      row.goalMet = row.ratio >= min;
    }
    return row;
  }

  /** Sync-ack round trips of 1 KiB, one message in flight. */
  async roundTrip(link: Link): Promise<Row> {
    const { rounds, seconds } = this.settings;
    const warmup = this.#warmup(link);
    const size = KIB;
    const payload = new Uint8Array(size).fill(0x5a);
    const wire = wireBytes(size, SYNC);
    const acked = rawFrame(wire, FLAG_ACK);
    const collect = async (forSeconds: number, once: () => Promise<void>) => {
      const samples: number[] = [];
      const t0 = now();
      const end = t0 + forSeconds * 1000;
      for (let t = t0; t < end;) {
        await once();
        const t1 = now();
        samples.push(t1 - t);
        t = t1;
      }
      return { samples: samples.sort((x, y) => x - y), seconds: (now() - t0) / 1000 };
    };
    const conclaveOnce = () => this.send(link, payload, SYNC);
    const rawOnce = () => this.sendRaw(link, acked, true);
    await collect(warmup, conclaveOnce);
    await collect(warmup, rawOnce);
    const c = { rate: [] as number[], p50: [] as number[], p99: [] as number[] };
    const b = { rate: [] as number[], p50: [] as number[], p99: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const [into, once] of [[c, conclaveOnce], [b, rawOnce]] as const) {
        const { samples, seconds: took } = await collect(seconds, once);
        into.rate.push(samples.length / took);
        into.p50.push(percentile(samples, 50) * 1000);
        into.p99.push(percentile(samples, 99) * 1000);
      }
    }
    const msgs = median(c.rate);
    const baseMsgs = median(b.rate);
    const p99 = median(c.p99);
    return {
      ...this.#rowBase(link.transport, `${link.transport} sync-ack rtt 1KiB`, size, wire),
      mode: "rtt",
      window: 1,
      msgsPerSec: msgs,
      mbPerSec: (msgs * size) / 1e6,
      baselineMsgsPerSec: baseMsgs,
      baselineMbPerSec: (baseMsgs * size) / 1e6,
      ratio: msgs / baseMsgs,
      spreadPct: spreadPercent(c.rate),
      baselineSpreadPct: spreadPercent(b.rate),
      p50Us: median(c.p50),
      p99Us: p99,
      baselineP50Us: median(b.p50),
      baselineP99Us: median(b.p99),
      goal: "p99 <= 1 ms",
      goalMet: p99 <= 1000,
    };
  }

  /**
   * The secret's record layer runs several times slower for its first seconds on every runtime
   * (its crypto calls warm up, measured: Bun 1 KiB async 23k msgs/s in the first 3 s, 82k after),
   * so its warm-up is longer; a node runs for far longer than that.
   */
  #warmup(link: Link): number {
    const { warmup, quick } = this.settings;
    return link.transport === "secret" && !quick ? Math.max(warmup, SECRET_WARMUP) : warmup;
  }

  #took(what: string, n: number, t0: number): Round {
    const seconds = (now() - t0) / 1000;
    if (this.settings.verbose) {
      process.stderr.write(`#   ${what}: ${n} in ${fixed(seconds, 3)} s = ${int(n / seconds)}/s\n`);
    }
    return { n, seconds };
  }

  #rowBase(transport: Transport, name: string, size: number, wire: number) {
    return {
      bench: "channel" as const,
      runtime: RUNTIME,
      version: RUNTIME_VERSION,
      transport,
      case: name,
      payloadBytes: size,
      wireBytes: wire,
      rounds: this.settings.rounds,
    };
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Bytes Conclave writes for one message of `size` bytes (prefix, CBOR header, payload). */
function wireBytes(size: number, options: number): number {
  const header = encodeMessageHeader(100_000, options, Date.now(), UniqueId.random(), undefined);
  return FRAME_PREFIX + header.length + size;
}

async function openLink(
  transport: Transport,
  ports: { conclave: number; raw: number; id: string },
  self: Member,
) {
  const defaults = attributeDefaults(transportPlugin.attributes);
  const sender = await transportPlugin.create(
    {
      ...defaults,
      poolSize: POOL_SIZE,
      tls: transport === "tls" ? testTlsBlock("node2") : undefined,
    },
    testComponents({
      logger: stderrLogger("sender"),
      // With the secret, the handshake proves this id: messages must name the same member.
      localMember: { id: self.id, jvmRoute: self.jvmRoute },
      channelSecret: transport === "secret" ? BENCH_SECRET : undefined,
    }),
  );
  await sender.start();
  const raw = await RawClient.connect(
    ports.raw,
    transport === "tls" ? testTls("node2") : undefined,
  );
  const member = { ...tcpMember("127.0.0.1", ports.conclave), id: UniqueId.parse(ports.id) };
  return { transport, sender, member, raw } as Link;
}

function describeRow(row: Row): string {
  if (row.mode === "rtt") {
    return `${row.case}: p50 ${fixed(row.p50Us!, 0)} µs, p99 ${fixed(row.p99Us!, 0)} µs ` +
      `(baseline p50 ${fixed(row.baselineP50Us!, 0)} µs, p99 ${fixed(row.baselineP99Us!, 0)} µs)`;
  }
  return `${row.case}: ${int(row.msgsPerSec)} msgs/s, ${fixed(row.mbPerSec, 1)} MB/s ` +
    `(baseline ${fixed(row.baselineMbPerSec, 1)} MB/s, ratio ${fixed(row.ratio, 2)})`;
}

function goalCell(row: Row): string {
  if (!row.goal) return "";
  return `${row.goal}: ${row.goalMet ? "met" : "MISSED"}`;
}

async function senderRole(settings: Settings): Promise<void> {
  const started = now();
  const haveCerts = existsSync(join(TEST_CERTS, "ca.pem"));
  const transports = settings.transports.filter((t) => t !== "tls" || haveCerts);
  if (transports.length < settings.transports.length) {
    console.log(`# ${TEST_CERTS} has no test certificates: TLS rows skipped`);
  }
  const script = fileURLToPath(import.meta.url);
  // The receiver gets this process's flags too (`--cpu-prof` profiles both).
  const { command, args } = runtimeCommand(script, { inheritExecArgv: true });
  const child = spawn(
    command,
    [...args, "--role=receiver", `--transports=${transports.join(",")}`],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const receiver = new ChildLink(child);
  // Ctrl-C: end the receiver (by its pid) before leaving.
  process.once("SIGINT", () => {
    void receiver.kill().then(() => process.exit(130));
  });
  const bench = new Bench(settings);
  const links: Link[] = [];
  const rows: Row[] = [];
  try {
    const ready = await receiver.next() as {
      pid: number;
      ports: Record<Transport, { conclave: number; raw: number; id: string }>;
    };
    console.log(
      `# channel bench: ${RUNTIME} ${RUNTIME_VERSION}; sender pid ${process.pid}, ` +
        `receiver pid ${ready.pid} (separate process, 127.0.0.1); ${cpus().length} CPUs, ` +
        `load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    );
    console.log(
      `# ${settings.rounds} timed round(s) of ~${settings.seconds} s per case after a ` +
        `${settings.warmup} s warm-up (${SECRET_WARMUP} s for secret), median; Conclave and ` +
        "baseline rounds alternate",
    );
    if (settings.reuseId) console.log("# --reuse-id: every message carries the same id");
    console.log(
      `# windows: async ${settings.asyncWindow}, sync-ack ${settings.syncWindow} sends in flight ` +
        `(PooledParallelSender poolSize raised to ${POOL_SIZE}); async rounds end with one ` +
        `sync-ack message`,
    );
    console.log(
      "# baseline: node:net / node:tls client, same bytes per frame, same window, coalesced per " +
        "tick with cork/uncork; server splits frames like FrameDecoder and counts",
    );
    for (const transport of transports) {
      const link = await openLink(transport, ready.ports[transport], bench.self);
      links.push(link);
      await bench.send(link, new Uint8Array(KIB), SYNC); // connect and hand over the member record
      const cases: [number, Mode][] = [
        [KIB, "async"],
        [64 * KIB, "async"],
        [KIB, "sync-ack"],
        [64 * KIB, "sync-ack"],
      ];
      const wanted = (name: string) => !settings.filter || name.includes(settings.filter);
      for (const [size, mode] of cases) {
        if (!wanted(`${transport} ${mode} ${size / KIB}KiB`)) continue;
        const row = await bench.throughput(link, size, mode);
        rows.push(row);
        writeLine(row);
        process.stderr.write(`# ${describeRow(row)}\n`);
      }
      if (!wanted(`${transport} sync-ack rtt 1KiB`)) continue;
      const rtt = await bench.roundTrip(link);
      rows.push(rtt);
      writeLine(rtt);
      process.stderr.write(`# ${describeRow(rtt)}\n`);
    }
    const counted = await receiver.stats();
    const match = counted.conclave.messages === bench.sent.conclave &&
      counted.raw.frames === bench.sent.raw;
    console.log(
      `# receiver counted ${counted.conclave.messages} Conclave messages (sent ` +
        `${bench.sent.conclave}) and ${counted.raw.frames} baseline frames (sent ` +
        `${bench.sent.raw})${match ? "" : ": MISMATCH"}`,
    );
    printTables(rows);
    const versusPlain = protectionCost(rows);
    const goals = [...rows, ...versusPlain].filter((r) => r.goal !== undefined);
    console.log(
      `# goals (printed, not asserted): ${goals.filter((r) => r.goalMet).length} of ` +
        `${goals.length} met` +
        goals.filter((r) => !r.goalMet).map((r) => `; missed: ${r.case} (${r.goal})`).join(""),
    );
    console.log(
      `# total time ${fixed((now() - started) / 1000, 1)} s; load average now ` +
        loadavg().map((l) => l.toFixed(2)).join(" "),
    );
  } finally {
    for (const link of links) {
      link.raw.close();
      await link.sender.stop();
    }
    await receiver.kill();
  }
}

/**
 * Each `secret` and `tls` throughput row beside the plain Conclave row of the same case, printed as
 * a table; returns the secret rows' goals (>= 0.7 of plain throughput).
 */
function protectionCost(rows: Row[]): { case: string; goal?: string; goalMet?: boolean }[] {
  const lines: string[][] = [];
  const goals: { case: string; goal?: string; goalMet?: boolean }[] = [];
  for (const row of rows) {
    if (row.transport === "tcp" || row.mode === "rtt") continue;
    const plain = rows.find((r) =>
      r.transport === "tcp" && r.mode === row.mode && r.payloadBytes === row.payloadBytes
    );
    if (!plain) continue;
    const ratio = row.mbPerSec / plain.mbPerSec;
    const goal = row.transport === "secret" ? "ratio >= 0.7" : undefined;
    const met = ratio >= 0.7;
    if (goal) goals.push({ case: `${row.case} vs plain`, goal, goalMet: met });
    lines.push([
      RUNTIME,
      row.case,
      fixed(plain.mbPerSec, 1),
      fixed(row.mbPerSec, 1),
      fixed(ratio, 2),
      goal ? `${goal}: ${met ? "met" : "MISSED"}` : "",
    ]);
  }
  if (lines.length > 0) {
    console.log("");
    console.log("# the cost of protection: Conclave with a secret or TLS vs Conclave in clear");
    console.log(table([
      ["runtime", "case", "plain MB/s", "protected MB/s", "ratio", "goal"],
      ...lines,
    ]));
  }
  return goals;
}

function printTables(rows: Row[]): void {
  const throughput = rows.filter((r) => r.mode !== "rtt");
  const latency = rows.filter((r) => r.mode === "rtt");
  console.log("");
  console.log(table([
    ["runtime", "case", "window", "msgs/s", "MB/s", "baseline MB/s", "ratio", "spread", "goal"],
    ...throughput.map((r) => [
      RUNTIME,
      r.case,
      String(r.window),
      int(r.msgsPerSec),
      fixed(r.mbPerSec, 1),
      fixed(r.baselineMbPerSec, 1),
      fixed(r.ratio, 2),
      `${fixed(r.spreadPct, 0)}%/${fixed(r.baselineSpreadPct, 0)}%`,
      goalCell(r),
    ]),
  ]));
  if (latency.length > 0) {
    console.log("");
    console.log(table([
      [
        "runtime",
        "case",
        "rtt/s",
        "p50 µs",
        "p99 µs",
        "baseline rtt/s",
        "baseline p50 µs",
        "baseline p99 µs",
        "ratio",
        "goal",
      ],
      ...latency.map((r) => [
        RUNTIME,
        r.case,
        int(r.msgsPerSec),
        fixed(r.p50Us!, 0),
        fixed(r.p99Us!, 0),
        int(r.baselineMsgsPerSec),
        fixed(r.baselineP50Us!, 0),
        fixed(r.baselineP99Us!, 0),
        fixed(r.ratio, 2),
        goalCell(r),
      ]),
    ]));
  }
  console.log("");
  console.log(
    "# MB/s = payload bytes / 1e6 / s; ratio = Conclave / baseline (rtt: round trips/s); " +
      "spread = (max - min) / median of the rounds, Conclave/baseline",
  );
}

// ---------------------------------------------------------------- main

const flags = parseFlags(process.argv.slice(2));
if (flags.role === "receiver") {
  const list = process.argv.find((a) => a.startsWith("--transports="))?.slice(13) ?? "tcp";
  await receiverRole(
    list.split(",").filter((t): t is Transport => TRANSPORTS.includes(t as Transport)),
  );
} else {
  try {
    await senderRole(flags);
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}
