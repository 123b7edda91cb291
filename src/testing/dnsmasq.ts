/**
 * A real DNS server for tests: Debian's `dnsmasq` on 127.0.0.1 and a free port, answering only
 * for names under `.test` from records the test sets. A and AAAA records come from a hosts file
 * that dnsmasq re-reads on SIGHUP; SRV records are command-line options, so changing them
 * restarts it on the same port. Ended by its pid.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** One A or AAAA record (the kind follows the address). */
export interface AddressRecord {
  name: string;
  address: string;
}

/** One SRV record: `name` (such as `_conclave._tcp.svc.test`) points at `target`:`port`. */
export interface SrvRecord {
  name: string;
  target: string;
  port: number;
}

const SEARCH = ["/usr/sbin", "/sbin", "/usr/local/sbin", ...(process.env.PATH ?? "").split(":")];

function binary(): string | undefined {
  return SEARCH.map((dir) => join(dir, "dnsmasq")).find((file) => existsSync(file));
}

/** Why dnsmasq tests cannot run here (the skip reason), or undefined when they can. */
export function dnsmasqUnavailable(): string | undefined {
  const file = binary();
  if (!file) {
    return "dnsmasq is not installed (Debian: apt-get install dnsmasq-base)";
  }
  const probe = spawnSync(file, ["--version"], { encoding: "utf8" });
  if (probe.status !== 0) return `"dnsmasq --version" fails: ${probe.error?.message ?? ""}`;
  return undefined;
}

const running = new Set<ChildProcess>();
let exitHook = false;

export class Dnsmasq {
  /** `127.0.0.1:<port>`, for `dnsServers`. */
  readonly server: string;
  readonly port: number;
  #dir: string;
  #hostsFile: string;
  #child: ChildProcess;
  #log = "";
  #partial = "";
  #readCount = 0;
  #waiters = new Set<() => void>();
  #exited = false;
  #srv: SrvRecord[];

  private constructor(dir: string, port: number, child: ChildProcess, srv: SrvRecord[]) {
    this.#dir = dir;
    this.#hostsFile = join(dir, "hosts");
    this.port = port;
    this.server = `127.0.0.1:${port}`;
    this.#child = child;
    this.#srv = srv;
    this.#watch(child);
  }

  /** Starts dnsmasq on a free port with these records, once it has read them. */
  static async start(
    records: AddressRecord[] = [],
    srv: SrvRecord[] = [],
  ): Promise<Dnsmasq> {
    const dir = await mkdtemp(join(tmpdir(), "conclave-dns-"));
    await writeFile(join(dir, "hosts"), hostsText(records));
    for (let attempt = 0;; attempt++) {
      const port = 30000 + Math.floor(Math.random() * 10000);
      const server = new Dnsmasq(dir, port, launch(dir, port, srv), srv);
      try {
        await server.#waitForReads(1);
        return server;
      } catch (error) {
        await server.#end();
        // The port was taken: try another; anything else is a real failure.
        if (attempt >= 5 || !/in use/i.test(server.#log)) {
          await rm(dir, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  /** Replaces the A/AAAA records and waits until dnsmasq has re-read them. */
  async setAddresses(records: AddressRecord[]): Promise<void> {
    const reads = this.#reads();
    await writeFile(this.#hostsFile, hostsText(records));
    signal(this.#child, "SIGHUP");
    await this.#waitForReads(reads + 1);
  }

  /** Replaces the SRV records: dnsmasq restarts on the same port (it re-reads them only then). */
  async setSrv(srv: SrvRecord[]): Promise<void> {
    await this.#end();
    this.#srv = srv;
    this.#log = "";
    this.#partial = "";
    this.#readCount = 0;
    this.#exited = false;
    this.#child = launch(this.#dir, this.port, srv);
    this.#watch(this.#child);
    await this.#waitForReads(1);
  }

  /** The SRV records served now. */
  get srv(): readonly SrvRecord[] {
    return this.#srv;
  }

  /** Ends dnsmasq (by pid) and removes its files. */
  async stop(): Promise<void> {
    await this.#end();
    await rm(this.#dir, { recursive: true, force: true });
  }

  #watch(child: ChildProcess): void {
    running.add(child);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      if (child !== this.#child) return;
      this.#log = (this.#log + chunk).slice(-20_000);
      const lines = (this.#partial + chunk).split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) if (line.includes(`read ${this.#hostsFile}`)) this.#readCount++;
      this.#notify();
    });
    child.once("close", () => {
      running.delete(child);
      if (child === this.#child) this.#exited = true;
      this.#notify();
    });
    child.once("error", () => {});
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** How often this dnsmasq process logged that it read the hosts file. */
  #reads(): number {
    return this.#readCount;
  }

  #waitForReads(count: number, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      const check = () => {
        if (this.#reads() >= count) {
          done();
          resolve();
        } else if (this.#exited) {
          done();
          reject(new Error(`dnsmasq exited:\n${this.#log.trim()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`dnsmasq did not read its records within ${timeoutMs} ms:\n${this.#log}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  async #end(): Promise<void> {
    const child = this.#child;
    if (!running.has(child)) return;
    const closed = new Promise((resolve) => child.once("close", resolve));
    signal(child, "SIGTERM");
    const timer = setTimeout(() => signal(child, "SIGKILL"), 3000);
    await closed;
    clearTimeout(timer);
  }
}

/**
 * Signals by pid: Deno's `ChildProcess.kill` sends nothing after its first call, and a SIGHUP
 * must not use up the later SIGTERM.
 */
function signal(child: ChildProcess, name: "SIGHUP" | "SIGTERM" | "SIGKILL"): void {
  try {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, name);
    }
  } catch { /* already gone */ }
}

function hostsText(records: AddressRecord[]): string {
  return records.map((r) => `${r.address} ${r.name}\n`).join("");
}

function launch(dir: string, port: number, srv: SrvRecord[]): ChildProcess {
  const args = [
    "--keep-in-foreground",
    "--conf-file=/dev/null", // not /etc/dnsmasq.conf
    "--no-resolv", // no upstream: it answers only from the records given here
    "--no-hosts",
    `--addn-hosts=${join(dir, "hosts")}`,
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    `--port=${port}`,
    "--pid-file=",
    "--local=/test/", // unknown names under .test are NXDOMAIN at once
    "--local-ttl=0",
    "--no-negcache",
    "--log-facility=-",
    ...srv.map((r) => `--srv-host=${r.name},${r.target},${r.port}`),
  ];
  // As root, dnsmasq would switch to "nobody", who cannot read a private temp folder.
  if (process.getuid?.() === 0) args.push("--user=root");
  const child = spawn(binary() ?? "dnsmasq", args, { stdio: ["ignore", "ignore", "pipe"] });
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const c of running) signal(c, "SIGKILL");
    });
  }
  return child;
}
