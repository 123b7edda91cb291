/**
 * Session memory benchmark: the heap and RSS each replicated session costs in a `SessionStore`,
 * built the way a replica or a joiner builds it. It prints numbers; it asserts nothing.
 *
 * ```sh
 * node --expose-gc --import tsx bench/session_memory.ts                              # Node
 * node_modules/.bin/deno run -A --v8-flags=--expose-gc bench/session_memory.ts       # Deno
 * node_modules/.bin/bun bench/session_memory.ts                                      # Bun
 * ```
 * Flags: `--n N` (sessions, default 100000), `--counter C` (the Lamport counter the origin starts
 * from, default 0; a cluster that ran a while has large ones), `--mode replica|joiner|origin` (one
 * case in this process; without it every case runs in a child process of the same runtime, so that
 * RSS starts fresh for each).
 *
 * **Method.** Each session is the one `bench/http.ts` seeds: `data` (a fresh 1 KiB hex string),
 * `t` (ms since the epoch) and `n` (1), created in an origin store (node id A).
 *
 * - `replica`: each session's first delta travels alone, as `DeltaManager` broadcasts it: the
 *   message is CBOR-encoded and decoded with the channel's codec, then `apply`d to the measured
 *   store (node id B). Every string in it (id, names, node ids) is thus a fresh copy per session.
 * - `joiner`: state transfer; `full()` of 500 sessions per chunk message, decoded, each `apply`d.
 * - `origin`: the sessions stay in the store that created them (after `takeDelta`).
 *
 * The origin copy of a replicated session is forgotten at once, so only the measured store grows.
 * Figures are (after - before) / N, both taken after a full GC; `overhead` subtracts the 1024
 * characters of `data`.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { decodeValue, encodeValue } from "../src/kernel/codec.ts";
import { type SessionDelta, SessionStore, StoredSession } from "../src/session/store.ts";
import { fixed, int, table } from "./lib/stats.ts";
import { collectGarbage } from "./lib/gc.ts";
import { runtimeCommand } from "../test/helpers/runtime.ts";
import { detectRuntime } from "../src/runtime/detect.ts";

const KIB = 1024;
const CHUNK = 500;
const NODE_A = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const NODE_B = "0f9e8d7c6b5a49382716f5e4d3c2b1a0";
const MODES = ["replica", "joiner", "origin"] as const;
type Mode = typeof MODES[number];

const { name: RUNTIME, version: RUNTIME_VERSION } = detectRuntime();

function flag(name: string): string | undefined {
  const argv = process.argv;
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  return argv[at].includes("=") ? argv[at].slice(argv[at].indexOf("=") + 1) : argv[at + 1];
}

function fullGc(): void {
  if (!collectGarbage()) {
    throw new Error(
      "no gc(): run node with --expose-gc, deno with --v8-flags=--expose-gc",
    );
  }
}

let counter = 0;
/** A session as `bench/http/app.ts` seeds it, in `origin`, not yet replicated. */
function seed(origin: SessionStore): StoredSession {
  const hex = (counter++).toString(16).padStart(8, "0") + randomBytes(12).toString("hex");
  const session = new StoredSession(`${hex}.node1`, Date.now(), 1800);
  session.unsent = true;
  origin.add(session);
  session.attributes.set("data", randomBytes(KIB / 2).toString("hex"));
  session.attributes.set("t", Date.now() + Math.random());
  session.attributes.set("n", 1);
  return session;
}

/** Builds `n` sessions in a store the way `mode` says; returns the store (kept alive). */
function build(mode: Mode, n: number, start: number): SessionStore {
  const origin = new SessionStore(NODE_A);
  if (start > 0) {
    // The origin sees a version `start` from another node, as after a while in a cluster.
    const id = `${"f".repeat(32)}.node2`;
    origin.apply({ id, created: 0, accessed: 0, interval: 1, meta: [start, NODE_B], attrs: [] });
    origin.forget(id);
  }
  if (mode === "origin") {
    for (let i = 0; i < n; i++) origin.takeDelta(seed(origin));
    return origin;
  }
  const store = new SessionStore(NODE_B);
  if (mode === "replica") {
    for (let i = 0; i < n; i++) {
      const session = seed(origin);
      const d = origin.takeDelta(session);
      origin.forget(session.id);
      const bytes = encodeValue({ cdm: 1, ctx: "/", t: "delta", d });
      store.apply((decodeValue(bytes) as { d: SessionDelta }).d);
    }
    return store;
  }
  for (let i = 0, chunk = 0; i < n; chunk++) {
    const s: SessionDelta[] = [];
    for (; s.length < CHUNK && i < n; i++) {
      const session = seed(origin);
      origin.takeDelta(session);
      s.push(origin.full(session));
      origin.forget(session.id);
    }
    const bytes = encodeValue({ cdm: 1, ctx: "/", t: "state", q: "q", n: chunk, s, end: i >= n });
    for (const d of (decodeValue(bytes) as { s: SessionDelta[] }).s) store.apply(d);
  }
  return store;
}

interface Figures {
  mode: Mode;
  sessions: number;
  heap: number;
  rss: number;
  ms: number;
}

function measure(mode: Mode, n: number, start: number): Figures {
  fullGc();
  const before = process.memoryUsage();
  const started = performance.now();
  const store = build(mode, n, start);
  const ms = performance.now() - started;
  fullGc();
  const after = process.memoryUsage();
  return {
    mode,
    sessions: store.size,
    heap: (after.heapUsed - before.heapUsed) / n,
    rss: (after.rss - before.rss) / n,
    ms,
  };
}

/** Runs one mode in a child process of this runtime (fresh RSS), answering its JSON line. */
function child(mode: Mode, n: number, start: number): Figures {
  const script = fileURLToPath(import.meta.url);
  const { command, args } = runtimeCommand(script, { exposeGc: true, inheritExecArgv: true });
  const run = spawnSync(command, [
    ...args,
    "--mode",
    mode,
    "--n",
    String(n),
    "--counter",
    String(start),
  ], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (run.status !== 0) throw new Error(`${mode} child exited with ${run.status}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) as string) as Figures;
}

const n = Math.round(Number(flag("n") ?? 100_000));
const start = Math.round(Number(flag("counter") ?? 0));
const only = flag("mode");
if (only !== undefined) {
  if (!(MODES as readonly string[]).includes(only)) {
    throw new Error(`--mode takes ${MODES.join(", ")}; got ${JSON.stringify(only)}`);
  }
  console.log(JSON.stringify(measure(only as Mode, n, start)));
} else {
  console.log(
    `session memory, ${RUNTIME} ${RUNTIME_VERSION}, ${int(n)} sessions, counter from ${int(start)}`,
  );
  const rows = [["case", "sessions", "heap B/session", "overhead B", "RSS B/session", "ms"]];
  for (const mode of MODES) {
    const f = child(mode, n, start);
    rows.push([
      f.mode,
      int(f.sessions),
      int(f.heap),
      int(f.heap - KIB),
      int(f.rss),
      fixed(f.ms, 0),
    ]);
  }
  console.log(table(rows));
  console.log("overhead: heap per session minus the 1024 characters of data");
}
