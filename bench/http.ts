/**
 * HTTP session benchmark (issue 6): a 3-node Conclave cluster next to the usual Node answer,
 * `express` + `express-session` + `connect-redis` on two processes and a `redis-server`, in one
 * run on this machine. It prints numbers and goals; it asserts nothing.
 *
 * ```sh
 * node --import tsx bench/http.ts            # everything, about 5 minutes
 * node --import tsx bench/http.ts --quick    # short runs, 20,000 sessions, about 2.5 minutes
 * ```
 * Flags: `--quick`, `--runtimes node,bun,deno` (the runtimes the Conclave cluster runs on),
 * `--seconds S` (a timed load run, whole seconds), `--warmup S` (before each run),
 * `--setup-warmup S` (writes, then reads, before a set-up's first run), `--concurrency 16,64`,
 * `--threads N` (wrk threads), `--pool N` (sessions per node the load replays), `--sessions N`
 * (for state transfer and memory), `--seed-window N`, `--trials N` (failovers per set-up),
 * `--lag-writes N`, `--rounds N` (timed runs per case; rows show the median), `--parts
 * load,lag,failover,scale` (the measurements to run, all by default), `--no-async` (no
 * `async` send-options row), `--skip-redis`, `--keep` (keep configurations and logs in
 * `.conclave-tmp/`).
 *
 * Every server is a child process on 127.0.0.1, started here and ended by its pid.
 *
 * - Conclave: three nodes run `node.ts` in host mode (static membership with a secret, NioReceiver,
 *   TcpFailureDetector + MessageDispatchInterceptor, DeltaManager, ReplicationValve +
 *   JvmRouteBinderValve) and serve `bench/lib/http_app.ts`; `channelSendOptions` "use_ack,sync"
 *   on each runtime, and a second cluster per runtime with "async" (Tomcat's and Conclave's
 *   default, `channelSendOptions` 8); goals are printed for both. The manager `className` is
 *   `bench/lib/http_manager.ts`: the built-in DeltaManager, recorded where the app's `/seed` finds
 *   it, and started only once the membership has found a member (up to 1.5 s: see its comment).
 *   The nodes start one after the other.
 * - Redis: `bench/lib/http_express_redis.ts` twice on Node, on one `redis-server` (no
 *   persistence). Without `redis-server` its rows are skipped, and the Conclave rows still run.
 * - Load: every set-up is started first and stays up (idle when not loaded) through the load
 *   runs, which alternate between the set-ups case by case, so that other work on the machine
 *   meets them alike; each set-up then runs the rest alone and is stopped.
 *   One `wrk` per run; thread i talks to node i mod nodes (16 threads: 6/5/5 of 16
 *   connections, 24/20/20 of 64 on Conclave; 8/8 and 32/32 on Redis), and each connection replays,
 *   in turn, the session cookies made on its node (sticky, as behind a balancer). `/read` reads
 *   the session; `/write` sets its 1 KiB string, a timestamp and its counter. CPU per request is
 *   the user + system time (/proc) of the set-up's server processes (redis-server included) over
 *   the timed run, divided by the requests.
 * - Loopback floor (`bench/lib/loopback_floor.ts`, before the light-load lag): the same pace and
 *   clock with no Conclave code, 1 KiB from one process to two others over TCP; the delay this
 *   machine's scheduling alone puts on every replicated write.
 * - Replication lag: the app stamps each write (ms since the epoch, sub-ms); a session listener on
 *   every other node takes the difference when the change is applied there. Measured during the
 *   write runs, and at light load (sequential writes on n1, 1 ms apart), where the goal applies.
 * - Failover: three writes on the last node make a session with counter 3; kill -9; writes with
 *   its cookie go to the other nodes in turn until one answers counter 4. The time runs from the
 *   kill to that answer. The node is then restarted (and the survivors wait until it joined).
 * - State transfer and memory: a fresh 4th node joins (its memory with no sessions), leaves; n1's
 *   `/seed` creates N sessions of the same shape in its process (random 1 KiB each), replicated
 *   as requests would; the 4th node joins again, and its "State transfer done" line gives the
 *   sessions and ms. Memory is RSS after a full GC (`--expose-gc`; `Bun.gc(true)`), per session
 *   added, minus the 1024-byte payload; the heap figures are beside it.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { killAll, type LogLine, NodeProcess } from "./lib/membership_process.ts";
import { fixed, int, table } from "./lib/stats.ts";
import {
  cookieOf,
  cpuMs,
  freePort,
  getJson,
  machineCpuMs,
  reapedChildrenCpuMs,
  rssBytes,
  sleep,
  summary,
  waitForPort,
} from "./lib/http_util.ts";
import { haveWrk, runWrk, type WrkResult } from "./lib/http_wrk.ts";
import { loopbackFloor } from "./lib/loopback_floor.ts";
import { benchFlags } from "./lib/flags.ts";
import { loopbackChannel } from "../src/testing/loopback_channel.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const KIB = 1024;
const START_TIMEOUT = 60_000;
const JOIN_TIMEOUT = 30_000;

/** Goals of issue 6, printed beside the figures. */
const GOAL_RATIO_NODE = 3;
const GOAL_RATIO_FASTEST = 6;
const GOAL_LAG_P99_MS = 2;
const GOAL_TRANSFER_MB_S = 50;
const GOAL_OVERHEAD_BYTES = 1.5 * KIB;

type Runtime = "node" | "bun" | "deno";
type Path = "read" | "write";

const parentGlobals = globalThis as { Deno?: unknown; Bun?: unknown };
const PARENT = parentGlobals.Deno ? "deno" : parentGlobals.Bun ? "bun" : "node";

// ---------------------------------------------------------------- flags

interface Settings {
  quick: boolean;
  runtimes: Runtime[];
  seconds: number;
  warmup: number;
  /** Seconds of writes, then of reads, before a set-up's first timed run. */
  setUpWarmup: number;
  /** Timed runs per case and set-up; a row shows the run of median req/s. */
  rounds: number;
  concurrency: number[];
  threads: number;
  pool: number;
  sessions: number;
  seedWindow: number;
  trials: number;
  lagWrites: number;
  async: boolean;
  redis: boolean;
  /** The measurements to run (`--parts load,lag,failover,scale`); all by default. */
  parts: Parts;
  keep: boolean;
}

function parseSettings(argv: readonly string[]): Settings {
  const flags = benchFlags(argv);
  const value = flags.value;
  const quick = argv.includes("--quick");
  const number = (name: string, fallback: number) => Math.round(flags.number(name, fallback));
  const runtimes = (value("runtimes") ?? "node,bun,deno").split(",").map((r) => r.trim());
  for (const r of runtimes) {
    if (r !== "node" && r !== "bun" && r !== "deno") {
      throw new Error(`--runtimes takes node, bun and deno, not ${JSON.stringify(r)}`);
    }
  }
  return {
    quick,
    runtimes: runtimes as Runtime[],
    seconds: number("seconds", quick ? 2 : 4),
    warmup: number("warmup", 1),
    setUpWarmup: number("setup-warmup", quick ? 1 : 3),
    rounds: number("rounds", 1),
    concurrency: (value("concurrency") ?? "16,64").split(",").map(Number).filter((n) => n > 0),
    threads: number("threads", 16),
    pool: number("pool", 100),
    sessions: number("sessions", quick ? 20_000 : 100_000),
    seedWindow: number("seed-window", 64),
    trials: number("trials", quick ? 2 : 4),
    lagWrites: number("lag-writes", quick ? 200 : 500),
    async: !argv.includes("--no-async"),
    parts: parseParts(value("parts")),
    redis: !argv.includes("--skip-redis"),
    keep: argv.includes("--keep"),
  };
}

function parseParts(list: string | undefined): Parts {
  const all = ["load", "lag", "failover", "scale"] as const;
  const wanted = (list ?? all.join(",")).split(",").map((p) => p.trim());
  for (const p of wanted) {
    if (!(all as readonly string[]).includes(p)) {
      throw new Error(`--parts takes ${all.join(", ")}, not ${JSON.stringify(p)}`);
    }
  }
  const has = (p: string) => wanted.includes(p);
  return { load: has("load"), lag: has("lag"), failover: has("failover"), scale: has("scale") };
}

function progress(text: string): void {
  process.stderr.write(`# ${text}\n`);
}

function writeRow(row: object): void {
  process.stdout.write(`${JSON.stringify({ bench: "http", ...row })}\n`);
}

// ---------------------------------------------------------------- processes

interface Server {
  name: string;
  httpPort: number;
  receiverPort: number;
  proc: NodeProcess;
  /** Cookies (`name=value`) of the sessions made on this server, replayed by the load. */
  pool: string[];
}

interface SetUp {
  /** Short name used in rows: `conclave/node/sync`, `redis`. */
  id: string;
  kind: "conclave" | "redis";
  runtime: string;
  version: string;
  sendOptions: string;
  servers: Server[];
  /** Processes of the set-up that are not HTTP servers (redis-server). */
  others: NodeProcess[];
  cookieName: string;
  /** Conclave: the cluster's configuration file (a joining node uses it too). */
  configFile?: string;
}

let workDir = "";
let wrkPid: number | undefined;

function binary(runtime: Runtime): string {
  if (runtime === "node") return PARENT === "node" ? process.execPath : "node";
  return join(ROOT, "node_modules", ".bin", runtime);
}

function runtimeVersion(runtime: Runtime): string | undefined {
  if (runtime === "node" && PARENT === "node") return process.versions.node;
  if (runtime !== "node" && !existsSync(binary(runtime))) return undefined;
  const probe = spawnSync(binary(runtime), ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return undefined;
  return /(\d+\.\d+\.\d+)/.exec(probe.stdout)?.[1] ?? probe.stdout.trim();
}

/** The command that runs a TypeScript file on `runtime`, with garbage collection exposed. */
function command(runtime: Runtime, script: string): { command: string; args: string[] } {
  if (runtime === "deno") {
    return { command: binary("deno"), args: ["run", "-A", "--v8-flags=--expose-gc", script] };
  }
  if (runtime === "bun") return { command: binary("bun"), args: [script] }; // Bun.gc()
  return { command: binary("node"), args: ["--expose-gc", "--import", "tsx", script] };
}

const isMsg = (msg: string, jvmRoute?: string) => (line: LogLine) =>
  line.msg === msg && (jvmRoute === undefined || line.fields.jvmRoute === jvmRoute);

function failure(proc: NodeProcess, what: string): Error {
  const status = proc.alive ? "running" : `exited (${proc.exitCode ?? proc.exitSignal})`;
  return new Error(`${proc.name} ${what} (${status}); stderr: ${proc.stderr.trim() || "-"}`);
}

async function waitLine(proc: NodeProcess, msg: string, from: number, timeoutMs: number) {
  const line = await proc.waitFor(isMsg(msg), from, timeoutMs);
  if (!line) throw failure(proc, `did not log "${msg}" within ${timeoutMs} ms`);
  return line;
}

async function waitAdded(proc: NodeProcess, member: string, from: number): Promise<void> {
  if (!(await proc.waitFor(isMsg("Member added", member), from, JOIN_TIMEOUT))) {
    throw failure(proc, `did not log "Member added" for ${member} within ${JOIN_TIMEOUT} ms`);
  }
}

// ---------------------------------------------------------------- Conclave cluster

function clusterConfig(receivers: number[], sendOptions: string, waitForMembers: number) {
  return {
    jvmRoute: "n1",
    logLevel: "info",
    http: { host: "127.0.0.1", port: 0 },
    apps: [{
      path: "/",
      module: join(ROOT, "bench", "lib", "http_app.ts"),
      distributable: true,
    }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: sendOptions,
      manager: { className: join(ROOT, "bench", "lib", "http_manager.ts"), waitForMembers },
      channel: loopbackChannel(receivers, "bench-http-secret"),
      valves: [{ className: "ReplicationValve" }, { className: "JvmRouteBinderValve" }],
    },
  };
}

function startConclaveNode(setUp: SetUp, runtime: Runtime, name: string, config: string, ports: {
  http: number;
  receiver: number;
}): NodeProcess {
  const { command: cmd, args } = command(runtime, join(ROOT, "node.ts"));
  return new NodeProcess(
    name,
    ports.receiver,
    cmd,
    [
      ...args,
      "--config",
      config,
      "--jvm-route",
      name,
      "--http-port",
      String(ports.http),
      "--receiver-port",
      String(ports.receiver),
    ],
    join(workDir, `${setUp.id.replaceAll("/", "-")}-${name}-${Date.now()}.log`),
  );
}

async function startConclave(runtime: Runtime, sendOptions: string): Promise<SetUp> {
  const id = `conclave/${runtime}/${sendOptions === "async" ? "async" : "sync"}`;
  const http = [await freePort(), await freePort(), await freePort()];
  const receivers = [await freePort(), await freePort(), await freePort()];
  const configFile = join(workDir, `${id.replaceAll("/", "-")}.json`);
  // The three nodes list each other; a joining node lists them too and is not listed itself.
  writeFileSync(configFile, JSON.stringify(clusterConfig(receivers, sendOptions, 1500), null, 2));
  const setUp: SetUp = {
    id,
    kind: "conclave",
    runtime,
    version: runtimeVersion(runtime) ?? "?",
    sendOptions,
    servers: [],
    others: [],
    cookieName: "JSESSIONID",
    configFile,
  };
  // One after the other: a node whose manager has not started yet ignores a joiner's request
  // for the state, and the joiner waits stateTransferTimeout (reported as a product problem).
  for (let i = 0; i < 3; i++) {
    const ports = { http: http[i], receiver: receivers[i] };
    const server: Server = {
      name: `n${i + 1}`,
      httpPort: http[i],
      receiverPort: receivers[i],
      proc: startConclaveNode(setUp, runtime, `n${i + 1}`, configFile, ports),
      pool: [],
    };
    setUp.servers.push(server);
    await waitLine(server.proc, "Node started", 0, START_TIMEOUT);
  }
  await Promise.all(
    setUp.servers.flatMap((s) =>
      setUp.servers.filter((o) => o !== s).map((o) => waitAdded(s.proc, o.name, 0))
    ),
  );
  return setUp;
}

/** Kills (if needed) and restarts server `index` of a Conclave set-up, waits until it joined. */
async function restartConclaveNode(setUp: SetUp, index: number): Promise<number> {
  const server = setUp.servers[index];
  const others = setUp.servers.filter((s) => s !== server);
  const marks = others.map((s) => s.proc.mark());
  const t0 = Date.now();
  server.proc = startConclaveNode(
    setUp,
    setUp.runtime as Runtime,
    server.name,
    setUp.configFile!,
    { http: server.httpPort, receiver: server.receiverPort },
  );
  await waitLine(server.proc, "Node started", 0, START_TIMEOUT);
  await Promise.all([
    ...others.map((s, i) => waitAdded(s.proc, server.name, marks[i])),
    ...others.map((s) => waitAdded(server.proc, s.name, 0)),
  ]);
  return Date.now() - t0;
}

// ---------------------------------------------------------------- Redis set-up

function startExpress(name: string, port: number, redisPort: number): NodeProcess {
  const { command: cmd, args } = command(
    "node",
    join(ROOT, "bench", "lib", "http_express_redis.ts"),
  );
  return new NodeProcess(
    name,
    port,
    cmd,
    [...args, "--name", name, "--port", String(port), "--redis-port", String(redisPort)],
    join(workDir, `redis-${name}-${Date.now()}.log`),
  );
}

async function startRedis(): Promise<SetUp> {
  const redisPort = await freePort();
  const redis = new NodeProcess("redis-server", redisPort, "redis-server", [
    "--port",
    String(redisPort),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ], join(workDir, "redis-server.log"));
  if (!(await waitForPort(redisPort, 10_000))) throw failure(redis, "did not listen");
  const setUp: SetUp = {
    id: "redis",
    kind: "redis",
    runtime: "node",
    version: runtimeVersion("node") ?? "?",
    sendOptions: "-",
    servers: [],
    others: [redis],
    cookieName: "connect.sid",
  };
  for (const name of ["e1", "e2"]) {
    const port = await freePort();
    setUp.servers.push({
      name,
      httpPort: port,
      receiverPort: redisPort,
      proc: startExpress(name, port, redisPort),
      pool: [],
    });
  }
  await Promise.all(setUp.servers.map((s) => waitLine(s.proc, "Listening", 0, START_TIMEOUT)));
  return setUp;
}

async function restartExpress(setUp: SetUp, index: number): Promise<number> {
  const server = setUp.servers[index];
  const t0 = Date.now();
  server.proc = startExpress(server.name, server.httpPort, server.receiverPort);
  await waitLine(server.proc, "Listening", 0, START_TIMEOUT);
  return Date.now() - t0;
}

async function stopSetUp(setUp: SetUp): Promise<void> {
  await Promise.all(setUp.servers.map((s) => s.proc.stop()));
  await Promise.all(setUp.others.map((p) => p.stop()));
}

function pids(setUp: SetUp): number[] {
  return [...setUp.servers.map((s) => s.proc.pid), ...setUp.others.map((p) => p.pid)];
}

// ---------------------------------------------------------------- sessions to replay

async function makePool(setUp: SetUp, server: Server, size: number): Promise<void> {
  const url = `http://127.0.0.1:${server.httpPort}/write`;
  const made: string[] = [];
  const one = async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await response.text();
    const cookie = cookieOf(response, setUp.cookieName);
    if (!response.ok || !cookie) throw new Error(`${url}: ${response.status}, no session cookie`);
    made.push(cookie);
  };
  while (made.length < size) {
    await Promise.all(Array.from({ length: Math.min(8, size - made.length) }, one));
  }
  server.pool = made;
}

// ---------------------------------------------------------------- load

interface LoadRow {
  setUp: string;
  kind: string;
  runtime: string;
  version: string;
  sendOptions: string;
  path: Path;
  concurrency: number;
  wrk: WrkResult;
  /** CPU time of the set-up's server processes per request, µs. */
  cpuUsPerRequest: number;
  /** Cores the set-up's processes kept busy on average. */
  cores: number;
  /** Cores wrk kept busy, and the whole machine (everything running on it). */
  wrkCores: number;
  machineCores: number;
  /** Replication lag seen by the other nodes during the run (writes on Conclave), ms. */
  lag?: ReturnType<typeof summary>;
  /** req/s of every round, when there were several. */
  rounds?: number[];
}

async function lagSamples(setUp: SetUp, servers = setUp.servers): Promise<number[]> {
  const answers = await Promise.all(
    servers.map((s) => getJson<{ samples: number[] }>(`http://127.0.0.1:${s.httpPort}/lag`)),
  );
  return answers.flatMap((a) => a.samples);
}

async function load(
  setUp: SetUp,
  path: Path,
  concurrency: number,
  settings: Settings,
): Promise<LoadRow> {
  const targets = setUp.servers.map((s) => ({ port: s.httpPort, cookies: s.pool }));
  const threads = Math.min(settings.threads, concurrency);
  const base = {
    scriptFile: join(workDir, "wrk.lua"),
    targets,
    path: `/${path}`,
    threads,
    connections: concurrency,
    started: (pid: number) => wrkPid = pid,
  };
  await runWrk({ ...base, seconds: settings.warmup });
  if (setUp.kind === "conclave") await lagSamples(setUp); // forget the warm-up's
  const cpu0 = cpuMs(pids(setUp));
  const wrkCpu0 = reapedChildrenCpuMs();
  const machine0 = machineCpuMs();
  const wrk = await runWrk({ ...base, seconds: settings.seconds });
  const cpu = cpuMs(pids(setUp)) - cpu0;
  const machine1 = machineCpuMs();
  await sleep(20); // wrk is waited for by now (its CPU time moves to our children's)
  const wrkCpu = reapedChildrenCpuMs() - wrkCpu0;
  wrkPid = undefined;
  const row: LoadRow = {
    setUp: setUp.id,
    kind: setUp.kind,
    runtime: setUp.runtime,
    version: setUp.version,
    sendOptions: setUp.sendOptions,
    path,
    concurrency,
    wrk,
    cpuUsPerRequest: wrk.requests > 0 ? (cpu * 1000) / wrk.requests : NaN,
    cores: cpu / 1000 / wrk.seconds,
    wrkCores: wrkCpu / 1000 / wrk.seconds,
    machineCores: (machine1.busy - machine0.busy) / 1000 / wrk.seconds,
  };
  if (setUp.kind === "conclave" && path === "write") row.lag = summary(await lagSamples(setUp));
  return row;
}

/** Before the first timed run of a set-up: writes, then reads, at the highest concurrency. */
async function warmUp(setUp: SetUp, settings: Settings): Promise<void> {
  const connections = Math.max(...settings.concurrency);
  for (const path of ["/write", "/read"]) {
    await runWrk({
      scriptFile: join(workDir, "wrk.lua"),
      targets: setUp.servers.map((s) => ({ port: s.httpPort, cookies: s.pool })),
      path,
      threads: Math.min(settings.threads, connections),
      connections,
      seconds: settings.setUpWarmup,
      started: (pid: number) => wrkPid = pid,
    });
  }
  wrkPid = undefined;
}

// ---------------------------------------------------------------- replication lag, light load

interface LagRow {
  setUp: string;
  runtime: string;
  sendOptions: string;
  writes: number;
  lag: ReturnType<typeof summary>;
  /** Client-side latency of the writes, ms. */
  write: ReturnType<typeof summary>;
}

/** Sequential writes on n1, 1 ms apart; the other nodes time each change's arrival. */
async function lightLag(setUp: SetUp, settings: Settings): Promise<LagRow> {
  const [writer, ...readers] = setUp.servers;
  await lagSamples(setUp);
  const latencies: number[] = [];
  for (let i = 0; i < settings.lagWrites; i++) {
    const t0 = performance.now();
    const response = await fetch(`http://127.0.0.1:${writer.httpPort}/write`, {
      headers: { cookie: writer.pool[i % writer.pool.length] },
      signal: AbortSignal.timeout(10_000),
    });
    await response.text();
    latencies.push(performance.now() - t0);
    await sleep(1);
  }
  await sleep(200); // async sends may still be on their way
  const samples = await lagSamples(setUp, readers);
  return {
    setUp: setUp.id,
    runtime: setUp.runtime,
    sendOptions: setUp.sendOptions,
    writes: settings.lagWrites,
    lag: summary(samples),
    write: summary(latencies),
  };
}

// ---------------------------------------------------------------- failover

interface FailoverRow {
  setUp: string;
  runtime: string;
  /** ms from kill -9 to the first right answer from another node, per trial. */
  trials: number[];
  /** Requests it took (the first is sent right after the kill). */
  attempts: number[];
  /** Wrong answers and errors before the right one, summed over the trials. */
  wrong: number;
  /** Conclave: ms from the kill to each survivor's "Member disappeared". */
  detection: number[];
  /** "Session replication failed" warnings on the survivors during the trials. */
  replicationWarnings: number;
  /** ms to restart the killed node until it has joined again. */
  restart: number[];
}

async function failover(setUp: SetUp, settings: Settings): Promise<FailoverRow> {
  const row: FailoverRow = {
    setUp: setUp.id,
    runtime: setUp.runtime,
    trials: [],
    attempts: [],
    wrong: 0,
    detection: [],
    replicationWarnings: 0,
    restart: [],
  };
  const victimIndex = setUp.servers.length - 1;
  for (let trial = 0; trial < settings.trials; trial++) {
    const victim = setUp.servers[victimIndex];
    const survivors = setUp.servers.filter((s) => s !== victim);
    // A client sticks to the victim: three writes there, counter 3.
    let cookie = "";
    let n = 0;
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`http://127.0.0.1:${victim.httpPort}/write`, {
        headers: cookie ? { cookie } : {},
      });
      n = ((await response.json()) as { n: number }).n;
      cookie ||= cookieOf(response, setUp.cookieName) ?? "";
    }
    if (n !== 3 || !cookie) throw new Error(`${setUp.id}: could not make a session on the victim`);
    await sleep(50);
    const marks = survivors.map((s) => s.proc.mark());
    const killedAt = Date.now();
    const t0 = performance.now();
    victim.proc.signal("SIGKILL");
    let took = Infinity;
    let attempts = 0;
    while (performance.now() - t0 < 15_000) {
      const target = survivors[attempts % survivors.length];
      attempts++;
      try {
        const response = await fetch(`http://127.0.0.1:${target.httpPort}/write`, {
          headers: { cookie },
          signal: AbortSignal.timeout(5000),
        });
        const text = await response.text();
        if (response.ok && (JSON.parse(text) as { n: number }).n === 4) {
          took = performance.now() - t0;
          break;
        }
        row.wrong++;
      } catch {
        row.wrong++;
      }
      await sleep(1);
    }
    row.trials.push(took);
    row.attempts.push(attempts);
    await victim.proc.exited;
    if (setUp.kind === "conclave") {
      const seen = await Promise.all(
        survivors.map((s, i) =>
          s.proc.waitFor(isMsg("Member disappeared", victim.name), marks[i], 10_000)
        ),
      );
      for (const line of seen) row.detection.push(line ? line.time - killedAt : Infinity);
      row.replicationWarnings += survivors.reduce(
        (sum, s, i) =>
          sum + s.proc.lines.slice(marks[i]).filter(isMsg("Session replication failed")).length,
        0,
      );
      row.restart.push(await restartConclaveNode(setUp, victimIndex));
    } else {
      row.restart.push(await restartExpress(setUp, victimIndex));
    }
    progress(
      `${setUp.id} failover ${trial + 1}/${settings.trials}: ${fixed(took, 1)} ms ` +
        `(${attempts} request(s)); restarted in ${row.restart[row.restart.length - 1]} ms`,
    );
  }
  return row;
}

// ---------------------------------------------------------------- sessions at scale

interface Mem {
  rss: number;
  heapUsed: number;
  sessions: number;
}

interface ScaleRow {
  setUp: string;
  runtime: string;
  sessions: number;
  /** Seeding through n1 (Conclave: created and replicated to the others). */
  seedMs: number;
  seedFailed: number;
  memory: {
    where: string;
    before: Mem;
    after: Mem;
    /** Sessions added between before and after. */
    sessions: number;
    /** Bytes per session beyond the 1 KiB payload (RSS). */
    overhead: number;
  }[];
  transfer?: {
    /** The joining node's "State transfer done": sessions and ms. */
    sessions: number;
    ms: number;
    mbPerSec: number;
    /** From spawning the joining node to its "State transfer done" and "Node started". */
    spawnToDoneMs: number;
    spawnToStartedMs: number;
    from: string;
  };
}

async function mem(server: Server): Promise<Mem> {
  const m = await getJson<{ rss: number; heapUsed: number; sessions?: number }>(
    `http://127.0.0.1:${server.httpPort}/mem?gc=1`,
  );
  return { rss: m.rss, heapUsed: m.heapUsed, sessions: m.sessions ?? 0 };
}

function memoryEntry(where: string, before: Mem, after: Mem) {
  const sessions = after.sessions - before.sessions;
  return { where, before, after, sessions, overhead: (after.rss - before.rss) / sessions - KIB };
}

/**
 * Seeds `n` sessions through `server`'s `/seed`, in requests of at most 5,000 sessions: Bun.serve
 * cuts a request that runs longer than 10 s (its default `idleTimeout`; reported as a product
 * problem). Returns the wall time, ms, and the failed replications.
 */
async function seedInBatches(
  server: Server,
  n: number,
  window: number,
): Promise<{ ms: number; failed: number }> {
  const t0 = performance.now();
  let failed = 0;
  for (let done = 0; done < n;) {
    const batch = Math.min(5000, n - done);
    const answer = await getJson<{ failed: number }>(
      `http://127.0.0.1:${server.httpPort}/seed?n=${batch}&window=${window}`,
      120_000,
    );
    failed += answer.failed;
    done += batch;
  }
  return { ms: performance.now() - t0, failed };
}

async function scale(setUp: SetUp, settings: Settings): Promise<ScaleRow> {
  const n = settings.sessions;
  const [origin, replica] = setUp.servers;
  const seed = () => seedInBatches(origin, n, settings.seedWindow);
  if (setUp.kind === "redis") {
    const redis = setUp.others[0];
    const before: Mem = { rss: rssBytes(redis.pid), heapUsed: NaN, sessions: 0 };
    const seeded = await seed();
    await sleep(200);
    const after: Mem = { rss: rssBytes(redis.pid), heapUsed: NaN, sessions: n };
    return {
      setUp: setUp.id,
      runtime: setUp.runtime,
      sessions: n,
      seedMs: seeded.ms,
      seedFailed: seeded.failed,
      memory: [memoryEntry("redis-server", before, after)],
    };
  }
  // A fourth node joins once before seeding, for the memory of a fresh node with (almost) no
  // sessions, and once after, for the state transfer and the memory of all the sessions.
  let ports = { http: 0, receiver: 0 };
  const join = async (record: (joiner: NodeProcess, spawnedAt: number) => Promise<void>) => {
    // Ports picked now: picked at start, one was taken by a client's ephemeral port by the time
    // the node joined (EADDRINUSE).
    ports = { http: await freePort(), receiver: await freePort() };
    const marks = setUp.servers.map((s) => s.proc.mark());
    const spawnedAt = Date.now();
    const joiner = startConclaveNode(
      setUp,
      setUp.runtime as Runtime,
      "n4",
      setUp.configFile!,
      ports,
    );
    try {
      await record(joiner, spawnedAt);
    } finally {
      await joiner.stop();
      await Promise.all(
        setUp.servers.map((s, i) =>
          s.proc.waitFor(isMsg("Member disappeared", "n4"), marks[i], 10_000)
        ),
      );
    }
  };
  const joinerServer = (proc: NodeProcess): Server => ({
    name: "n4",
    httpPort: ports.http,
    receiverPort: ports.receiver,
    proc,
    pool: [],
  });
  let fresh: Mem | undefined;
  await join(async (joiner) => {
    await waitLine(joiner, "Node started", 0, START_TIMEOUT);
    fresh = await mem(joinerServer(joiner));
  });
  const before = [await mem(origin), await mem(replica)];
  const seeded = await seed();
  await sleep(200);
  const after = [await mem(origin), await mem(replica)];
  const row: ScaleRow = {
    setUp: setUp.id,
    runtime: setUp.runtime,
    sessions: n,
    seedMs: seeded.ms,
    seedFailed: seeded.failed,
    memory: [],
  };
  progress(`${setUp.id}: ${int(n)} sessions seeded in ${fixed(seeded.ms / 1000, 1)} s`);
  await join(async (joiner, spawnedAt) => {
    const done = await waitLine(joiner, "State transfer done", 0, 300_000);
    const started = await waitLine(joiner, "Node started", 0, START_TIMEOUT);
    const sessions = Number(done.fields.sessions);
    const ms = Number(done.fields.ms);
    row.transfer = {
      sessions,
      ms,
      mbPerSec: (sessions * KIB) / 1e6 / (ms / 1000),
      spawnToDoneMs: done.time - spawnedAt,
      spawnToStartedMs: started.time - spawnedAt,
      from: String(done.fields.from),
    };
    row.memory.push(memoryEntry("joiner n4", fresh!, await mem(joinerServer(joiner))));
  });
  row.memory.push(memoryEntry("replica n2", before[1], after[1]));
  row.memory.push(memoryEntry("origin n1", before[0], after[0]));
  return row;
}

// ---------------------------------------------------------------- report

const ms = (v: number, digits = 2) => Number.isFinite(v) ? fixed(v, digits) : "-";

function geomean(values: number[]): number {
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

function printReport(settings: Settings, out: Out): void {
  const { loads, lags, failovers, scales, floor } = out;
  const redisRps = (path: Path, c: number) =>
    loads.find((r) => r.kind === "redis" && r.path === path && r.concurrency === c)?.wrk.rps;
  const score = (id: string) => geomean(loads.filter((r) => r.setUp === id).map((r) => r.wrk.rps));
  /** The set-ups of one send mode; the fastest runtime's and Node's among them. */
  const mode = (async: boolean) => {
    const ids = [
      ...new Set(
        loads.filter((r) => r.kind === "conclave" && (r.sendOptions === "async") === async)
          .map((r) => r.setUp),
      ),
    ];
    return {
      label: async ? "async, the default" : "use_ack,sync",
      fastest: ids.sort((a, b) => score(b) - score(a))[0],
      node: ids.find((id) => id.startsWith("conclave/node/")),
    };
  };
  const modes = [mode(false), mode(true)].filter((m) => m.fastest !== undefined);

  console.log("");
  console.log(
    "Throughput and latency (wrk; the set-up's nodes share the connections; CPU µs/req = user " +
      "+ system time of the set-up's server processes per request; cores = the set-up's " +
      "processes, wrk, and the whole machine, busy cores on average over the timed run)\n",
  );
  console.log(table([
    [
      "set-up",
      "runtime",
      "send",
      "case",
      "conns",
      "req/s",
      "p50 ms",
      "p99 ms",
      "CPU µs/req",
      "cores",
      "wrk",
      "machine",
      "errors",
      "lag p50/p99 ms",
      "x Redis",
      "x Redis CPU",
    ],
    ...loads.map((r) => {
      const base = redisRps(r.path, r.concurrency);
      const baseCpu = loads.find((x) =>
        x.kind === "redis" && x.path === r.path && x.concurrency === r.concurrency
      )?.cpuUsPerRequest;
      const e = r.wrk.errors;
      const errors = e.connect + e.read + e.write + e.status + e.timeout;
      return [
        r.kind === "redis" ? "express+redis" : "conclave",
        `${r.runtime} ${r.version}`,
        r.sendOptions,
        r.path,
        String(r.concurrency),
        int(r.wrk.rps),
        ms(r.wrk.p50),
        ms(r.wrk.p99),
        fixed(r.cpuUsPerRequest, 0),
        fixed(r.cores, 2),
        fixed(r.wrkCores, 2),
        fixed(r.machineCores, 2),
        String(errors),
        r.lag ? `${ms(r.lag.p50)}/${ms(r.lag.p99)}` : "",
        r.kind === "redis" || !base ? "" : `${fixed(r.wrk.rps / base, 2)}x`,
        r.kind === "redis" || !baseCpu ? "" : `${fixed(baseCpu / r.cpuUsPerRequest, 2)}x`,
      ];
    }),
  ]));
  console.log(
    "x Redis: req/s over the express+redis row of the same case (the goals); x Redis CPU: the " +
      "Redis set-up's CPU µs/req over this row's (the ratio if both had the machine to " +
      "themselves and were CPU-bound); lag: write on one node to the change applied on the " +
      "others, during the run",
  );

  if (lags.length > 0) {
    console.log(
      `\nReplication lag at light load: ${settings.lagWrites} sequential writes on n1, 1 ms ` +
        "apart; n2 and n3 time each change from the write (in the app, before the response) to " +
        `its arrival (session listener), one clock (goal: p99 <= ${GOAL_LAG_P99_MS} ms)\n`,
    );
    console.log(table([
      [
        "runtime",
        "send",
        "samples",
        "lag p50 ms",
        "p90",
        "p99",
        "max",
        "min",
        "write p50 ms",
        "write p99",
        "goal",
      ],
      ...lags.map((r) => [
        r.runtime,
        r.sendOptions,
        String(r.lag.n),
        ms(r.lag.p50, 3),
        ms(r.lag.p90, 3),
        ms(r.lag.p99, 3),
        ms(r.lag.max, 3),
        ms(r.lag.min, 3),
        ms(r.write.p50, 3),
        ms(r.write.p99, 3),
        r.lag.p99 <= GOAL_LAG_P99_MS ? "met" : "MISSED",
      ]),
    ]));
    if (floor) {
      console.log(
        `Loopback floor of this machine (no Conclave code: 1 KiB from one process to two others ` +
          `over TCP, 1 ms apart, the same clock): p50 ${ms(floor.p50, 3)}, p90 ` +
          `${ms(floor.p90, 3)}, p99 ${ms(floor.p99, 3)}, max ${ms(floor.max, 3)} ms`,
      );
    }
    console.log(
      "express+redis: no replication; a write is in Redis before express-session sends the " +
        "response, so every process sees it from then on",
    );
  }

  if (failovers.length > 0) {
    console.log(
      "\nFailover: a client's session lives on the last node (3 writes there); kill -9; then " +
        "writes with its cookie to the other nodes in turn, until one answers counter 4\n",
    );
    console.log(table([
      [
        "set-up",
        "runtime",
        "trials",
        "p50 ms",
        "max ms",
        "each ms",
        "requests",
        "wrong",
        "detected ms",
        "repl. warnings",
        "restart ms",
      ],
      ...failovers.map((r) => {
        const s = summary(r.trials);
        return [
          r.setUp.startsWith("redis") ? "express+redis" : "conclave",
          r.runtime,
          String(r.trials.length),
          ms(s.p50),
          ms(s.max),
          r.trials.map((t) => ms(t, 1)).join(" "),
          r.attempts.join(" "),
          String(r.wrong),
          r.detection.length ? r.detection.map((d) => ms(d, 0)).join(" ") : "-",
          r.setUp.startsWith("redis") ? "-" : String(r.replicationWarnings),
          r.restart.join(" "),
        ];
      }),
    ]));
  }

  if (scales.length > 0) {
    const transfers = scales.filter((r) => r.transfer);
    if (transfers.length > 0) {
      console.log(
        `\nState transfer: ${
          int(settings.sessions)
        } sessions of 1 KiB seeded through n1 (created ` +
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
          m.where.startsWith("joiner")
            ? (m.overhead <= GOAL_OVERHEAD_BYTES ? "met" : "MISSED")
            : "",
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

  // ---- goals
  const goals: [string, boolean | undefined][] = [];
  for (const { label, fastest, node } of modes) {
    for (const path of ["read", "write"] as Path[]) {
      for (const c of settings.concurrency) {
        const base = redisRps(path, c);
        const rps = (id: string | undefined) =>
          loads.find((r) => r.setUp === id && r.path === path && r.concurrency === c)?.wrk.rps;
        const onNode = rps(node);
        const onFastest = rps(fastest);
        if (base && onNode) {
          goals.push([
            `${path} c${c} on node (${label}): ${fixed(onNode / base, 2)}x Redis ` +
            `(>= ${GOAL_RATIO_NODE}x)`,
            onNode / base >= GOAL_RATIO_NODE,
          ]);
        }
        if (base && onFastest) {
          goals.push([
            `${path} c${c} on the fastest runtime (${fastest?.split("/")[1]}, ${label}): ` +
            `${fixed(onFastest / base, 2)}x Redis (>= ${GOAL_RATIO_FASTEST}x)`,
            onFastest / base >= GOAL_RATIO_FASTEST,
          ]);
        }
      }
    }
  }
  for (const r of lags) {
    goals.push([
      `replication lag p99 on ${r.runtime} (${r.sendOptions}): ${ms(r.lag.p99, 3)} ms ` +
      `(<= ${GOAL_LAG_P99_MS} ms)`,
      r.lag.p99 <= GOAL_LAG_P99_MS,
    ]);
  }
  for (const r of scales.filter((s) => s.transfer)) {
    goals.push([
      `state transfer on ${r.runtime}: ${
        fixed(r.transfer!.mbPerSec, 1)
      } MB/s (>= ${GOAL_TRANSFER_MB_S})`,
      r.transfer!.mbPerSec >= GOAL_TRANSFER_MB_S,
    ]);
    const replica = r.memory.find((m) => m.where.startsWith("joiner"));
    if (replica) {
      goals.push([
        `memory on ${r.runtime}: ${fixed(replica.overhead, 0)} B per session beyond the payload ` +
        `(<= ${GOAL_OVERHEAD_BYTES})`,
        replica.overhead <= GOAL_OVERHEAD_BYTES,
      ]);
    }
  }
  console.log(
    `\nFastest runtime (geometric mean of its req/s over the load cases): ${
      modes.map((m) => `${m.fastest?.split("/")[1] ?? "-"} (${m.label})`).join(", ")
    }`,
  );
  console.log(
    `Goals (printed, not asserted): ${
      goals.filter(([, met]) => met).length
    } of ${goals.length} met`,
  );
  for (const [text, met] of goals) console.log(`  ${met ? "met   " : "MISSED"} ${text}`);
}

// ---------------------------------------------------------------- main

type Out = {
  loads: LoadRow[];
  lags: LagRow[];
  failovers: FailoverRow[];
  scales: ScaleRow[];
  /** The machine's own loopback delay at the light-load lag's pace (no Conclave code). */
  floor?: ReturnType<typeof summary>;
};
type Parts = { load: boolean; lag: boolean; failover: boolean; scale: boolean };

const tagOf = (setUp: SetUp) => `${setUp.id} (${setUp.runtime} ${setUp.version})`;

/**
 * The load runs of every set-up, interleaved: each case runs on one set-up after the other (the
 * order turning from case to case), so that whatever else loads the machine meets all of them
 * alike. With several rounds, each row is the round of median req/s.
 */
async function loadPhase(setUps: SetUp[], settings: Settings, out: Out): Promise<void> {
  for (const setUp of setUps) {
    progress(`${tagOf(setUp)}: ${settings.pool} sessions per node to replay; warm-up`);
    await Promise.all(setUp.servers.map((s) => makePool(setUp, s, settings.pool)));
    await warmUp(setUp, settings);
  }
  const runs = new Map<string, LoadRow[]>();
  let turn = 0;
  for (let round = 0; round < settings.rounds; round++) {
    for (const path of ["read", "write"] as Path[]) {
      for (const c of settings.concurrency) {
        const order = setUps.map((_, i) => setUps[(i + turn) % setUps.length]);
        turn++;
        for (const setUp of order) {
          const row = await load(setUp, path, c, settings);
          const key = `${setUp.id} ${path} ${c}`;
          runs.set(key, [...(runs.get(key) ?? []), row]);
          progress(
            `${tagOf(setUp)} ${path} c${c}: ${int(row.wrk.rps)} req/s, p50 ` +
              `${ms(row.wrk.p50)} ms, p99 ${ms(row.wrk.p99)} ms, ` +
              `${fixed(row.cpuUsPerRequest, 0)} µs CPU/req` +
              (row.lag ? `, lag p99 ${ms(row.lag.p99)} ms` : ""),
          );
        }
      }
    }
  }
  for (const setUp of setUps) {
    for (const path of ["read", "write"] as Path[]) {
      for (const c of settings.concurrency) {
        const rows = [...runs.get(`${setUp.id} ${path} ${c}`)!].sort((a, b) =>
          a.wrk.rps - b.wrk.rps
        );
        const row = { ...rows[(rows.length - 1) >> 1], rounds: rows.map((r) => r.wrk.rps) };
        out.loads.push(row);
        writeRow({ case: "load", ...row });
      }
    }
  }
}

/** Replication lag, failover, state transfer and memory of one set-up. */
async function restPhase(setUp: SetUp, settings: Settings, out: Out, parts: Parts): Promise<void> {
  const tag = tagOf(setUp);
  if (parts.lag) {
    const row = await lightLag(setUp, settings);
    out.lags.push(row);
    writeRow({ case: "lag", ...row });
    progress(`${tag} lag: p50 ${ms(row.lag.p50, 3)} ms, p99 ${ms(row.lag.p99, 3)} ms`);
  }
  if (parts.failover) {
    const row = await failover(setUp, settings);
    out.failovers.push(row);
    writeRow({ case: "failover", ...row });
  }
  if (parts.scale) {
    const row = await scale(setUp, settings);
    out.scales.push(row);
    writeRow({ case: "scale", ...row });
    if (row.transfer) {
      progress(
        `${tag}: state transfer of ${int(row.transfer.sessions)} sessions in ` +
          `${int(row.transfer.ms)} ms = ${fixed(row.transfer.mbPerSec, 1)} MB/s`,
      );
    }
  }
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const began = Date.now();
  workDir = join(ROOT, ".conclave-tmp", `bench-http-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  const cleanUp = () => {
    if (wrkPid !== undefined) {
      try {
        process.kill(wrkPid, "SIGKILL");
      } catch {
        // gone
      }
    }
    killAll();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(130);
    });
  }
  const load = () => loadavg().map((n) => n.toFixed(2)).join(" ");
  console.log(
    `Conclave HTTP session benchmark: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ` +
      `load average ${load()}`,
  );
  const wrk = haveWrk();
  const redis = settings.redis && !spawnSync("redis-server", ["--version"]).error;
  const runtimes = settings.runtimes.filter((r) => {
    if (runtimeVersion(r)) return true;
    console.log(`# skipped: Conclave on ${r} (not installed)`);
    return false;
  });
  console.log(
    `load: wrk ${settings.threads} threads (thread i talks to node i mod nodes), ` +
      `${settings.concurrency.join(" and ")} connections in all, each connection replays the ` +
      `${settings.pool} sessions made on its node; ${settings.setUpWarmup} s of writes and of ` +
      `reads before a set-up's first run, ${settings.warmup} s before each run, then ` +
      `${settings.seconds} s timed; the runs alternate between the set-ups, case by case; every ` +
      "server, redis-server and wrk share this machine's cores",
  );
  console.log(
    "conclave: 3 nodes (node.ts host mode), static membership on 127.0.0.1, DeltaManager, " +
      "TcpFailureDetector + MessageDispatchInterceptor, ReplicationValve + JvmRouteBinderValve; " +
      "express+redis: 2 express processes on node, express-session + connect-redis on one " +
      "redis-server (no persistence)",
  );
  console.log(
    "requests: GET /read (reads the session: counter and a 1 KiB string) and GET /write " +
      "(sets the 1 KiB string, a timestamp and the counter); both answer ~40 bytes of JSON",
  );
  if (!wrk) console.log("# skipped: load rows (wrk not installed: apt-get install wrk)");
  if (!redis) {
    console.log(
      settings.redis
        ? "# skipped: redis-server not installed (apt-get install redis-server): no Redis rows"
        : "# skipped: Redis rows (--skip-redis)",
    );
  }

  const out: Out = { loads: [], lags: [], failovers: [], scales: [] };
  let failed: unknown;
  const wanted = settings.parts;
  const only = (p: Parts): Parts => ({
    load: p.load && wanted.load,
    lag: p.lag && wanted.lag,
    failover: p.failover && wanted.failover,
    scale: p.scale && wanted.scale,
  });
  const plan: { start: () => Promise<SetUp>; parts: Parts }[] = [];
  if (redis) {
    plan.push({
      start: startRedis,
      parts: only({ load: wrk, lag: false, failover: true, scale: true }),
    });
  }
  for (const runtime of runtimes) {
    plan.push({
      start: () => startConclave(runtime, "use_ack,sync"),
      parts: only({ load: wrk, lag: true, failover: true, scale: true }),
    });
    if (settings.async) {
      plan.push({
        start: () => startConclave(runtime, "async"),
        parts: only({ load: wrk, lag: true, failover: false, scale: false }),
      });
    }
  }
  const running: { setUp: SetUp; parts: Parts }[] = [];
  try {
    // Every set-up runs during the load phase (idle but for heartbeats when it is not loaded),
    // so that the load runs can alternate between them; then each, alone, for the rest.
    for (const { start, parts } of plan) {
      if (!Object.values(parts).includes(true)) continue;
      const setUp = await start();
      running.push({ setUp, parts });
      progress(
        `${setUp.id}: started ${
          [
            ...setUp.servers.map((s) => `${s.name} pid ${s.proc.pid}`),
            ...setUp.others.map((p) => `${p.name} pid ${p.pid}`),
          ].join(", ")
        }`,
      );
    }
    await loadPhase(running.filter((r) => r.parts.load).map((r) => r.setUp), settings, out);
    if (running.some((r) => r.parts.lag)) {
      out.floor = await loopbackFloor(settings.lagWrites);
      writeRow({ case: "floor", lag: out.floor });
      progress(`loopback floor: p50 ${ms(out.floor.p50, 3)} ms, p99 ${ms(out.floor.p99, 3)} ms`);
    }
    while (running.length > 0) {
      const { setUp, parts } = running[0];
      try {
        await restPhase(setUp, settings, out, parts);
      } finally {
        running.shift();
        await stopSetUp(setUp);
      }
    }
  } catch (error) {
    failed = error;
  } finally {
    for (const { setUp } of running) await stopSetUp(setUp).catch(() => {});
    cleanUp();
  }
  printReport(settings, out);
  console.log(
    `\ntotal time ${fixed((Date.now() - began) / 1000, 0)} s; load average now ${load()}` +
      (settings.keep ? `; configurations and logs in ${workDir}` : ""),
  );
  if (!settings.keep && !failed) rmSync(workDir, { recursive: true, force: true });
  if (failed) {
    console.error(`http bench failed (logs in ${workDir}): ${(failed as Error).stack ?? failed}`);
    process.exit(1);
  }
  process.exit(0);
}

await main();
