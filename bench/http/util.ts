/**
 * Small helpers of `bench/http.ts`: free ports, CPU time and memory of processes by pid (from
 * `/proc`), session cookies, JSON over HTTP with a time limit, percentiles of raw samples.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { percentile } from "../lib/stats.ts";

const usedPorts = new Set<number>();

/** The lowest port Linux hands out to outgoing connections (32768 by default). */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A random TCP port that 127.0.0.1 can listen on right now, in the 10,000 ports below the
 * ephemeral range: a port inside it could be taken, between this check and the server's listen,
 * by any outgoing connection on the machine (the nodes' own connections to each other included).
 */
export async function freePort(): Promise<number> {
  const top = ephemeralLow();
  for (;;) {
    const port = top - 10_000 + Math.floor(Math.random() * 10_000);
    if (usedPorts.has(port)) continue;
    usedPorts.add(port);
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Resolves once 127.0.0.1:`port` accepts a connection; false after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return true;
    await sleep(20);
  }
  return false;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let ticksPerSecond = 0;

function tick(): void {
  if (ticksPerSecond === 0) {
    const probe = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    ticksPerSecond = Number(probe.stdout?.trim()) || 100;
  }
}

/** User and system CPU time (all threads) a process used so far, ms; zero once it is gone. */
export function cpuSplitMs(pid: number): { user: number; system: number } {
  tick();
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ms = (field: string | undefined) => (Number(field) * 1000) / ticksPerSecond;
    return { user: ms(fields[11]), system: ms(fields[12]) }; // utime, stime
  } catch {
    return { user: 0, system: 0 };
  }
}

/** CPU time (user + system, all threads) the processes used so far, ms; from /proc/PID/stat. */
export function cpuMs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const { user, system } = cpuSplitMs(pid);
    total += user + system;
  }
  return total;
}

/**
 * CPU time of this process's children that have exited and been waited for (user + system),
 * ms: read around a wrk run, the difference is wrk's CPU time.
 */
export function reapedChildrenCpuMs(): number {
  tick();
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond; // cutime, cstime
  } catch {
    return NaN;
  }
}

/** Busy and total CPU time of the whole machine so far, ms (from /proc/stat). */
export function machineCpuMs(): { busy: number; total: number } {
  tick();
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0); // through steal
    const idle = values[3] + values[4]; // idle, iowait
    return {
      busy: ((total - idle) * 1000) / ticksPerSecond,
      total: (total * 1000) / ticksPerSecond,
    };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** Resident memory of a process, bytes (VmRSS); NaN when it cannot be read. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** GETs a URL and parses JSON; throws on a non-2xx answer or after `timeoutMs`. */
export async function getJson<T>(url: string, timeoutMs = 10_000): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/** The `name=value` of the first Set-Cookie header whose name is `name`. */
export function cookieOf(response: Response, name: string): string | undefined {
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(";")[0].trim();
    if (pair.startsWith(`${name}=`)) return pair;
  }
  return undefined;
}

/** p50, p99, max and min of raw samples. */
export function summary(samples: readonly number[]): {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
} {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    min: sorted.length ? sorted[0] : NaN,
  };
}
