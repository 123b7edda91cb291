/**
 * A cluster node run as a child process by `bench/membership.ts`: its pino JSON lines parsed as
 * they arrive (and copied to a log file), waits on them, and signals sent by pid.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import { setTimeout } from "node:timers";

/** One parsed log line of a node. */
export interface LogLine {
  /** pino's `time`: ms since the epoch, taken in the node when it logged. */
  time: number;
  msg: string;
  /** All fields. With a duplicated key (the node's `jvmRoute` binding, then the member's), the last wins. */
  fields: Record<string, unknown>;
}

export type LinePredicate = (line: LogLine) => boolean;

/** Every child still running, so that the bench can end them (by pid) when it stops early. */
const running = new Set<NodeProcess>();

export class NodeProcess {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly lines: LogLine[] = [];
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  #child: ChildProcess;
  #alive = true;
  #wake = new Set<() => void>();
  #stderr = "";
  #log: WriteStream;

  /** Starts `command args...`; its stdout goes to `logFile` as well as to `lines`. */
  constructor(name: string, port: number, command: string, args: string[], logFile: string) {
    this.name = name;
    this.port = port;
    this.#log = createWriteStream(logFile);
    this.#child = spawn(command, args, {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.pid = this.#child.pid ?? -1;
    if (this.pid > 0) running.add(this);
    if (this.#child.stdout) {
      createInterface({ input: this.#child.stdout }).on("line", (text) => this.#line(text));
    }
    this.#child.stderr?.on("data", (chunk: Uint8Array) => {
      this.#stderr = (this.#stderr + String(chunk)).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: string | null) => {
        if (!this.#alive) return;
        this.exitCode = code;
        this.exitSignal = signal;
        this.#alive = false;
        running.delete(this);
        this.#log.end();
        this.#notify();
        resolve();
      };
      this.#child.on("close", finish);
      // A process that could not be started (or signalled) reports here, not by throwing.
      this.#child.on("error", (error) => {
        this.#stderr += `\n${error.message}`;
        if (this.#child.exitCode !== null || this.#child.pid === undefined) finish(null, null);
      });
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** The last 4000 characters the process wrote on stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The index the next line will get: pass it to `find`/`waitFor` to see only later lines. */
  mark(): number {
    return this.lines.length;
  }

  find(predicate: LinePredicate, from = 0): LogLine | undefined {
    for (let i = from; i < this.lines.length; i++) {
      if (predicate(this.lines[i])) return this.lines[i];
    }
    return undefined;
  }

  /** The first line from index `from` on that matches; undefined after `timeoutMs` or at exit. */
  waitFor(predicate: LinePredicate, from: number, timeoutMs: number): Promise<LogLine | undefined> {
    const found = this.find(predicate, from);
    if (found || !this.#alive) return Promise.resolve(found);
    return new Promise((resolve) => {
      let scanned = this.lines.length;
      const check = () => {
        for (; scanned < this.lines.length; scanned++) {
          if (predicate(this.lines[scanned])) return done(this.lines[scanned]);
        }
        if (!this.#alive) done(undefined);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (line: LogLine | undefined) => {
        clearTimeout(timer);
        this.#wake.delete(check);
        resolve(line);
      };
      this.#wake.add(check);
    });
  }

  /** Sends `signal` to the process by pid; returns `Date.now()` taken right before. */
  signal(signal: NodeJS.Signals): number {
    const at = Date.now();
    if (this.#alive && this.pid > 0) process.kill(this.pid, signal);
    return at;
  }

  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.#alive) return;
    this.signal("SIGTERM");
    const timer = setTimeout(() => {
      if (this.#alive) this.signal("SIGKILL");
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  #line(text: string): void {
    this.#log.write(`${text}\n`);
    if (!text.startsWith("{")) return;
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof fields.time !== "number" || typeof fields.msg !== "string") return;
    this.lines.push({ time: fields.time, msg: fields.msg, fields });
    this.#notify();
  }

  #notify(): void {
    for (const wake of [...this.#wake]) wake();
  }
}

/** SIGKILLs every child still running (by pid): for a bench that stops early. */
export function killAll(): void {
  for (const child of running) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
