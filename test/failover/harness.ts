/**
 * What the failover tests run: cluster nodes started from `node.ts` on Node, Deno or Bun, HAProxy
 * in front of them with `examples/balancers/haproxy.cfg`, and a client with a cookie jar. All on
 * 127.0.0.1; every process is ended by its pid.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loopbackChannel } from "../../src/testing/loopback_channel.ts";
import { added, LoggedProcess, NodeProcess } from "../helpers/node_process.ts";
import { freePorts } from "../helpers/ports.ts";
import { REPO, type RuntimeName } from "../helpers/runtime.ts";

const APP = join(REPO, "examples/session-counter/app.ts");
const HAPROXY_EXAMPLE = join(REPO, "examples/balancers/haproxy.cfg");

export type Runtime = RuntimeName;

/** The haproxy executable, or undefined when it is not installed. */
export function findHaproxy(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs) {
    const file = dir ? join(dir, "haproxy") : "";
    if (file && existsSync(file) && spawnSync(file, ["-v"]).status === 0) return file;
  }
  return undefined;
}

export { freePorts } from "../helpers/ports.ts";

export interface ClusterNodeProc {
  jvmRoute: string;
  runtime: Runtime;
  httpPort: number;
  proc: NodeProcess;
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
  started: LoggedProcess[];
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
    const proc = new NodeProcess({
      name: `${jvmRoute}/${runtime}`,
      runtime,
      config: file,
      jvmRoute,
      httpPort: ports[i],
      receiverPort: receivers[i],
    });
    options.started.push(proc);
    return { jvmRoute, runtime, httpPort: ports[i], proc };
  });
  await Promise.all(nodes.map(async (node) => {
    await node.proc.started(30_000);
    const others = nodes.filter((o) => o !== node).map((o) => o.jvmRoute);
    // The line carries the node's own jvmRoute (the logger's binding) and then the member's;
    // JSON.parse keeps the last.
    await Promise.all(
      others.map((route) =>
        node.proc.waitFor(`"Member added" for ${route}`, added(route), { timeoutMs: 30_000 })
      ),
    );
  }));
  return nodes;
}

export interface Balancer {
  url: string;
  proc: LoggedProcess;
}

/**
 * Starts HAProxy in the foreground with `examples/balancers/haproxy.cfg`, its frontend and servers
 * moved to the given ports, and resolves once it forwards a request.
 */
export async function startHaproxy(
  haproxy: string,
  dir: string,
  nodes: readonly { jvmRoute: string; httpPort: number }[],
  started: LoggedProcess[],
  /** What `/_conclave/ready` answers through HAProxy once it forwards (a library-mode app: 404). */
  readyStatus = 200,
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
  const proc = new LoggedProcess({ name: "haproxy", argv: [haproxy, "-db", "-f", file] });
  started.push(proc);
  const url = `http://127.0.0.1:${front}`;
  // Bounded polling: HAProxy logs nothing when it starts listening.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!proc.alive) throw new Error(`haproxy exited:\n${proc.tail()}`);
    try {
      const response = await fetch(`${url}/_conclave/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      await response.body?.cancel();
      if (response.status === readyStatus) return { url, proc };
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
  return join(REPO, ".conclave-tmp", `failover-${label}-${crypto.randomUUID().slice(0, 8)}`);
}
