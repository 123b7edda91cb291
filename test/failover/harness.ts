/**
 * What the failover tests run: cluster nodes started from `node.ts` on Node, Deno or Bun, HAProxy
 * in front of them with `examples/balancers/haproxy.cfg`, and a client with a cookie jar. All on
 * 127.0.0.1; every process is ended by its pid.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { detectRuntime } from "../../src/runtime/detect.ts";
import { loopbackChannel } from "../../src/testing/loopback_channel.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const ENTRY = join(ROOT, "node.ts");
const APP = join(ROOT, "examples/session-counter/app.ts");
const HAPROXY_EXAMPLE = join(ROOT, "examples/balancers/haproxy.cfg");

export type Runtime = "node" | "deno" | "bun";

/** The command line that runs `node.ts` on `runtime`. */
function nodeCommand(runtime: Runtime): string[] {
  if (runtime === "deno") return [join(ROOT, "node_modules/.bin/deno"), "run", "-A", ENTRY];
  if (runtime === "bun") return [join(ROOT, "node_modules/.bin/bun"), ENTRY];
  const node = detectRuntime().name === "node" ? process.execPath : "node";
  return [node, "--import", "tsx", ENTRY];
}

/** The haproxy executable, or undefined when it is not installed. */
export function findHaproxy(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs) {
    const file = dir ? join(dir, "haproxy") : "";
    if (file && existsSync(file) && spawnSync(file, ["-v"]).status === 0) return file;
  }
  return undefined;
}

/** `n` distinct free TCP ports on 127.0.0.1 (held open together, so no two are the same). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** A child process whose stdout and stderr are kept, line by line. */
export class Proc {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code, or the signal's name, once the process has exited. */
  readonly exited: Promise<number | string | null>;
  #child: ChildProcess;
  #output = "";
  #alive = true;
  #watchers = new Set<() => void>();

  constructor(name: string, argv: readonly string[], cwd = ROOT) {
    this.name = name;
    this.#child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (this.#child.pid === undefined) throw new Error(`${name}: cannot start ${argv[0]}`);
    this.pid = this.#child.pid;
    const take = (chunk: Buffer | string) => {
      this.#output += chunk;
      for (const watcher of [...this.#watchers]) watcher();
    };
    this.#child.stdout!.on("data", take);
    this.#child.stderr!.on("data", take);
    this.exited = new Promise((resolve) => {
      this.#child.once("exit", (code, signal) => {
        this.#alive = false;
        resolve(signal ?? code);
        for (const watcher of [...this.#watchers]) watcher();
      });
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** The complete lines written so far. */
  lines(): string[] {
    const lines = this.#output.split("\n");
    lines.pop();
    return lines;
  }

  /** The last `n` lines, for a failure's message. */
  tail(n = 15): string {
    return this.lines().slice(-n).map((l) => `  ${this.name}| ${l.slice(0, 400)}`).join("\n");
  }

  /**
   * Resolves with `found(lines)` as soon as it is defined, checked on each output; rejects when
   * the process exits first, or after `ms` (a bound, not a pause).
   */
  waitFor<T>(what: string, found: (lines: string[]) => T | undefined, ms = 30_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#watchers.delete(check);
      };
      const check = () => {
        const value = found(this.lines());
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (!this.#alive) {
          done();
          reject(new Error(`${this.name} exited before ${what}:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${what} within ${ms} ms:\n${this.tail()}`));
      }, ms);
      this.#watchers.add(check);
      check();
    });
  }

  /** Sends `signal` to this process's pid, if it still runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.#alive) process.kill(this.pid, signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `ms`. */
  async stop(ms = 5_000): Promise<void> {
    if (!this.#alive) return;
    this.signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (this.#alive) {
      this.signal("SIGKILL");
      await this.exited;
    }
  }
}

/** Parses the pino JSON lines whose `msg` is `msg`. */
function logged(lines: readonly string[], msg: string): Record<string, unknown>[] {
  return lines.filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l));
}

export interface ClusterNodeProc {
  jvmRoute: string;
  runtime: Runtime;
  httpPort: number;
  proc: Proc;
}

export interface ClusterOptions {
  /** The folder for the generated configuration (under `.conclave-tmp/`). */
  dir: string;
  /** One node per entry, named node1, node2, ... */
  runtimes: readonly Runtime[];
  /** `channelSendOptions`: 6 (`use_ack,sync`) or 8 (asynchronous). */
  sendOptions: number;
  manager: string;
  /** Every process started is added here, so a failed test can still end them. */
  started: Proc[];
}

/**
 * Starts one node per runtime from one generated configuration, like
 * `examples/local-cluster/cluster.json` but on free ports, and resolves once every node has logged
 * "Member added" for each of the others.
 */
export async function startCluster(options: ClusterOptions): Promise<ClusterNodeProc[]> {
  const n = options.runtimes.length;
  const ports = await freePorts(2 * n);
  const receivers = ports.slice(n);
  const config = {
    jvmRoute: "node1",
    logLevel: "info",
    http: { host: "127.0.0.1", port: ports[0] },
    apps: [{ path: "/", module: APP, distributable: true }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: options.sendOptions,
      manager: { className: options.manager },
      channel: loopbackChannel(receivers, crypto.randomUUID()),
      valves: [{ className: "ReplicationValve" }, { className: "JvmRouteBinderValve" }],
    },
  };
  await mkdir(options.dir, { recursive: true });
  const file = join(options.dir, "cluster.json");
  await writeFile(file, JSON.stringify(config, null, 2));
  const nodes = options.runtimes.map((runtime, i): ClusterNodeProc => {
    const jvmRoute = `node${i + 1}`;
    const proc = new Proc(`${jvmRoute}/${runtime}`, [
      ...nodeCommand(runtime),
      "--config",
      file,
      "--jvm-route",
      jvmRoute,
      "--http-port",
      String(ports[i]),
      "--receiver-port",
      String(receivers[i]),
    ]);
    options.started.push(proc);
    return { jvmRoute, runtime, httpPort: ports[i], proc };
  });
  await Promise.all(nodes.map(async (node) => {
    await node.proc.waitFor('"Node started"', (lines) => logged(lines, "Node started")[0]);
    const others = nodes.filter((o) => o !== node).map((o) => o.jvmRoute);
    // The line carries the node's own jvmRoute (the logger's binding) and then the member's;
    // JSON.parse keeps the last.
    await node.proc.waitFor(`"Member added" for ${others.join(" and ")}`, (lines) => {
      const seen = new Set(logged(lines, "Member added").map((l) => l.jvmRoute));
      return others.every((route) => seen.has(route)) ? true : undefined;
    });
  }));
  return nodes;
}

export interface Balancer {
  url: string;
  proc: Proc;
}

/**
 * Starts HAProxy in the foreground with `examples/balancers/haproxy.cfg`, its frontend and servers
 * moved to the given ports, and resolves once it forwards a request.
 */
export async function startHaproxy(
  haproxy: string,
  dir: string,
  nodes: readonly ClusterNodeProc[],
  started: Proc[],
): Promise<Balancer> {
  const [front] = await freePorts(1);
  let text = await readFile(HAPROXY_EXAMPLE, "utf8");
  let binds = 0;
  text = text.replace(/^(\s*bind 127\.0\.0\.1:)\d+/gm, (_, head: string) => {
    binds++;
    return `${head}${front}`;
  });
  const moved = new Set<string>();
  text = text.replace(/^(\s*server (\S+) 127\.0\.0\.1:)\d+/gm, (line, head: string, name) => {
    const node = nodes.find((n) => n.jvmRoute === name);
    if (!node) return line;
    moved.add(name);
    return `${head}${node.httpPort}`;
  });
  if (binds !== 1 || moved.size !== nodes.length) {
    throw new Error(
      `${HAPROXY_EXAMPLE}: expected one "bind 127.0.0.1:PORT" and a server line for each of ${
        nodes.map((n) => n.jvmRoute).join(", ")
      }`,
    );
  }
  const file = join(dir, "haproxy.cfg");
  await writeFile(file, text);
  const proc = new Proc("haproxy", [haproxy, "-db", "-f", file]);
  started.push(proc);
  const url = `http://127.0.0.1:${front}`;
  // Bounded polling: HAProxy logs nothing when it starts listening.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!proc.alive) throw new Error(`haproxy exited:\n${proc.tail()}`);
    try {
      const response = await fetch(`${url}/_conclave/status`, {
        signal: AbortSignal.timeout(2000),
      });
      await response.body?.cancel();
      if (response.status === 200) return { url, proc };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`haproxy does not answer on ${url}:\n${proc.tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What the session-counter app answers. */
export interface Answer {
  node: string;
  counter: number;
  session: string;
  /** The Set-Cookie header, when there was one. */
  setCookie?: string;
  /** The client's request number (`?r=`) that got this answer, after any retries. */
  request: number;
}

/** A client with a one-cookie jar (`JSESSIONID`). */
export class Client {
  readonly url: string;
  cookie: string | undefined;
  /** HTTP requests sent. */
  requests = 0;
  /** Why each request that got no 200 answer got none: `r=N: reason`. */
  failures: string[] = [];

  constructor(url: string) {
    this.url = url;
  }

  /** One request; undefined when it got no answer (it is then not acknowledged). */
  async once(): Promise<Answer | undefined> {
    const request = ++this.requests;
    try {
      // ?r=N finds the request in HAProxy's log; the app ignores it.
      const response = await fetch(`${this.url}/?r=${request}`, {
        headers: this.cookie ? { cookie: this.cookie } : {},
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        return this.#unanswered(request, `HTTP ${response.status}`);
      }
      const body = await response.json() as Answer;
      const setCookie = response.headers.get("set-cookie") ?? undefined;
      if (setCookie) this.cookie = setCookie.split(";")[0];
      return { node: body.node, counter: body.counter, session: body.session, setCookie, request };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return this.#unanswered(
        request,
        `${(error as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ""}`,
      );
    }
  }

  /** Requests that got no 200 answer. */
  get failed(): number {
    return this.failures.length;
  }

  #unanswered(request: number, reason: string): undefined {
    this.failures.push(`r=${request}: ${reason}`);
    return undefined;
  }

  /** Increments the counter, retrying a request that got no answer up to `tries` times. */
  async increment(tries = 5): Promise<Answer> {
    for (let i = 1;; i++) {
      const answer = await this.once();
      if (answer) return answer;
      if (i === tries) throw new Error(`no answer from ${this.url} in ${tries} tries`);
      await new Promise((resolve) => setTimeout(resolve, 100 * i));
    }
  }
}

/** A fresh folder for one test run's files, under the repository's `.conclave-tmp/`. */
export function runDir(label: string): string {
  return join(ROOT, ".conclave-tmp", `failover-${label}-${crypto.randomUUID().slice(0, 8)}`);
}
