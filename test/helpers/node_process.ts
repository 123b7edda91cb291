/**
 * Child processes for tests and benchmarks: a cluster node (`node.ts` on Node, Deno or Bun,
 * optionally in a network namespace) or any other server, its pino JSON lines parsed as they
 * come, waits on those lines, and signals sent to its process group.
 *
 * Each child leads its own process group, so that stopping it ends whatever it started too.
 * Every child still running when this process exits is killed by an exit handler.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { detectRuntime } from "../../src/runtime/detect.ts";
import { REPO, runtimeCommand, type RuntimeName, type RuntimeOptions } from "./runtime.ts";

/** One pino line of a child's stdout: its fields, `msg` and `time` (ms since the epoch). */
export interface LogLine {
  msg: string;
  time: number;
  jvmRoute?: string;
  reason?: string;
  runtime?: string;
  [key: string]: unknown;
}

export type LinePredicate = (line: LogLine) => boolean;

export interface WaitOptions {
  /** Only lines from this index on count (see {@link LoggedProcess.mark}). */
  from?: number;
  /** A deadline, not a pause: the wait ends as soon as the line appears. */
  timeoutMs?: number;
}

export interface ProcessOptions {
  /** The name in messages. */
  name: string;
  /** The command and its arguments. */
  argv: readonly string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Copies stdout to this file as well. */
  logFile?: string;
}

const running = new Set<LoggedProcess>();
let exitHandler = false;

/** A child process with its pino lines, its other output lines, and the end of its stderr. */
export class LoggedProcess {
  readonly name: string;
  readonly pid: number;
  /** The pino lines of stdout, in order. */
  readonly lines: LogLine[] = [];
  /** Resolves once the process has ended and its output was read: the signal's name or the code. */
  readonly exited: Promise<number | string | null>;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  #child: ChildProcess;
  #text: string[] = [];
  #partial = { stdout: "", stderr: "" };
  #stderr = "";
  #ended: string | undefined;
  #listeners = new Set<() => void>();
  #log: WriteStream | undefined;

  constructor(options: ProcessOptions) {
    this.name = options.name;
    const [command, ...args] = options.argv;
    this.#log = options.logFile ? createWriteStream(options.logFile) : undefined;
    this.#child = spawn(command, args, {
      cwd: REPO, // tsx resolves from the working directory
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    if (this.#child.pid === undefined) {
      this.#child.once("error", () => {}); // reported by the throw
      this.#log?.end();
      throw new Error(`${this.name}: cannot start ${command}`);
    }
    this.pid = this.#child.pid;
    running.add(this);
    killOnExit();
    this.#child.stdout!.setEncoding("utf8");
    this.#child.stderr!.setEncoding("utf8");
    this.#child.stdout!.on("data", (chunk: string) => this.#read("stdout", chunk));
    this.#child.stderr!.on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
      this.#read("stderr", chunk);
    });
    this.exited = new Promise((resolve) => {
      const end = (code: number | null, signal: string | null, why?: string) => {
        if (this.#ended !== undefined) return;
        this.exitCode = code;
        this.exitSignal = signal;
        this.#ended = why ?? (signal ? `signal ${signal}` : `code ${code}`);
        running.delete(this);
        this.#log?.end();
        this.#notify();
        resolve(signal ?? code);
      };
      this.#child.on("error", (err) => end(null, null, `failed: ${err.message}`));
      this.#child.on("close", (code, signal) => end(code, signal));
    });
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.#ended === undefined;
  }

  /** The last 4000 characters the process wrote on stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The index the next line will get: pass it as `from` to see only later lines. */
  mark(): number {
    return this.lines.length;
  }

  /** The first line from index `from` on that matches, if one came already. */
  find(predicate: LinePredicate, from = 0): LogLine | undefined {
    for (let i = from; i < this.lines.length; i++) {
      if (predicate(this.lines[i])) return this.lines[i];
    }
    return undefined;
  }

  /** The first matching line from `from` on; undefined at exit or after `timeoutMs`. */
  next(predicate: LinePredicate, { from = 0, timeoutMs = 20_000 }: WaitOptions = {}) {
    return this.#until(() => this.find(predicate, from), timeoutMs);
  }

  /** The first matching line from `from` on; rejects, saying `what` is missing, at exit or deadline. */
  async waitFor(what: string, predicate: LinePredicate, options: WaitOptions = {}) {
    const line = await this.next(predicate, options);
    return line ?? this.#missing(what, options.timeoutMs ?? 20_000);
  }

  /** The first output line (stdout or stderr, any format) that matches; rejects like `waitFor`. */
  async waitForText(what: string, predicate: (line: string) => boolean, timeoutMs = 20_000) {
    const line = await this.#until(() => this.#text.find(predicate), timeoutMs);
    return line ?? this.#missing(what, timeoutMs);
  }

  /** Signals the process group by its id (the child's pid); returns `Date.now()` taken before. */
  signal(signal: NodeJS.Signals): number {
    const at = Date.now();
    if (this.alive) signalGroup(this.pid, signal);
    return at;
  }

  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (this.alive) {
      this.signal("SIGKILL");
      await this.exited;
    }
  }

  /** `name (pid N)`, for messages. */
  describe(): string {
    return `${this.name} (pid ${this.pid})`;
  }

  /** The last lines of output and stderr, for failure messages. */
  tail(count = 25): string {
    return [
      `--- last output lines of ${this.describe()}:`,
      ...this.#text.slice(-count).map((l) => `  ${this.name}| ${l.slice(0, 400)}`),
      `--- stderr: ${this.#stderr.trim() || "(empty)"}`,
    ].join("\n");
  }

  #until<T>(found: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const now = found();
    if (now !== undefined || !this.alive) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (value: T | undefined) => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve(value);
      };
      const check = () => {
        const value = found();
        if (value !== undefined || !this.alive) done(value);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#listeners.add(check);
    });
  }

  #missing(what: string, timeoutMs: number): never {
    const why = this.alive
      ? `no ${what} within ${timeoutMs} ms`
      : `ended (${this.#ended}) before ${what}`;
    throw new Error(`${this.describe()}: ${why}\n${this.tail()}`);
  }

  #read(stream: "stdout" | "stderr", chunk: string): void {
    const parts = (this.#partial[stream] + chunk).split("\n");
    this.#partial[stream] = parts.pop() ?? "";
    for (const text of parts) {
      if (stream === "stdout") this.#log?.write(`${text}\n`);
      if (text.trim() === "") continue;
      this.#text.push(text);
      if (stream === "stdout" && text.startsWith("{")) this.#parse(text);
    }
    this.#notify();
  }

  #parse(text: string): void {
    try {
      const line = JSON.parse(text) as LogLine;
      if (typeof line.msg === "string" && typeof line.time === "number") this.lines.push(line);
    } catch {
      // not a log line: kept in text() only
    }
  }

  #notify(): void {
    for (const check of [...this.#listeners]) check();
  }
}

/** Signals the group `pid` leads; the process alone where it leads none. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The last resort when this process ends with children still running: SIGKILL, by group. */
function killOnExit(): void {
  if (exitHandler) return;
  exitHandler = true;
  process.once("exit", () => {
    for (const child of running) signalGroup(child.pid, "SIGKILL");
  });
}

/** SIGKILLs every child still running, by group, and waits (at most `timeoutMs`) for them to end. */
export async function killAll(timeoutMs = 3000): Promise<void> {
  const left = [...running];
  for (const child of left) child.signal("SIGKILL");
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(left.map((c) => c.exited)),
    new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
  ]);
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Cluster nodes

export interface NodeOptions {
  runtime?: RuntimeName;
  jvmRoute: string;
  /** The configuration file (`--config`). */
  config: string;
  receiverPort?: number;
  httpPort?: number;
  /** More arguments after the usual ones. */
  args?: readonly string[];
  /** The entry point; `node.ts` of the repository by default. */
  entry?: string;
  /** Runs the node inside this network namespace (`ip netns exec`, which execs: same pid). */
  netns?: string;
  /** The name in messages; `runtime node "jvmRoute"` by default. */
  name?: string;
  env?: Record<string, string>;
  logFile?: string;
  /** See {@link RuntimeOptions}. */
  exposeGc?: boolean;
  inheritExecArgv?: boolean;
  nodeFlags?: readonly string[];
}

/** A cluster node run as a child process. */
export class NodeProcess extends LoggedProcess {
  readonly jvmRoute: string;
  readonly runtime: RuntimeName;

  constructor(options: NodeOptions) {
    const runtime: RuntimeOptions = {
      runtime: options.runtime,
      exposeGc: options.exposeGc,
      inheritExecArgv: options.inheritExecArgv,
      nodeFlags: options.nodeFlags,
    };
    const { command, args } = runtimeCommand(options.entry ?? join(REPO, "node.ts"), runtime);
    const flag = (name: string, value: number | undefined) =>
      value === undefined ? [] : [name, String(value)];
    super({
      name: options.name ?? `${options.runtime ?? detectRuntime().name} node "${options.jvmRoute}"`,
      argv: [
        ...(options.netns ? ["ip", "netns", "exec", options.netns] : []),
        command,
        ...args,
        "--config",
        options.config,
        "--jvm-route",
        options.jvmRoute,
        ...flag("--http-port", options.httpPort),
        ...flag("--receiver-port", options.receiverPort),
        ...(options.args ?? []),
      ],
      env: options.env,
      logFile: options.logFile,
    });
    this.jvmRoute = options.jvmRoute;
    this.runtime = options.runtime ?? detectRuntime().name;
  }

  /** The node's "Node started" line, once it came. */
  started(timeoutMs = 20_000): Promise<LogLine> {
    return this.waitFor('"Node started"', started, { timeoutMs });
  }
}

/** Matches the line a ready node logs. */
export const started: LinePredicate = (line) => line.msg === "Node started";
/** Matches the line a node logs when it stopped after a signal. */
export const stopped: LinePredicate = (line) => line.msg === "Node stopped";
/** Matches a line with this `msg` (and, when given, this `jvmRoute`: the member's, on member events). */
export const logged = (msg: string, jvmRoute?: string): LinePredicate => (line) =>
  line.msg === msg && (jvmRoute === undefined || line.jvmRoute === jvmRoute);
/** Matches "Member added" for the member named `jvmRoute`. */
export const added = (jvmRoute: string): LinePredicate => logged("Member added", jvmRoute);
/** Matches "Member disappeared" for the member named `jvmRoute`. */
export const disappeared = (jvmRoute: string): LinePredicate =>
  logged("Member disappeared", jvmRoute);
