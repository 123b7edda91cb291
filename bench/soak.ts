/**
 * Soak: a Node, a Deno and a Bun node on 127.0.0.1 (DeltaManager, sync-ack) under steady load
 * from clients that write through every node, with faults every cycle: a 5 s SIGSTOP of one
 * node and a kill -9 of another, restarted 3 s later. Samples each process's RSS and the
 * replication lag (from /_conclave/metrics) over time, checks at the end that every node holds
 * the same sessions, prints figures and writes an SVG of memory and lag.
 *
 * Usage: node --import tsx bench/soak.ts [--minutes 10] [--svg FILE]
 * Asserts nothing; exits 0 unless something broke.
 */
import { writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loopbackChannel } from "../src/testing/loopback_channel.ts";
import { killAll, NodeProcess } from "../test/helpers/node_process.ts";
import { REPO, type RuntimeName } from "../test/helpers/runtime.ts";
import { freePorts } from "../test/failover/harness.ts";
import { removeDir, tempDir, writeJson } from "../test/netns/netns.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const MINUTES = Number(arg("--minutes", "10"));
const SVG = arg("--svg", join(REPO, ".conclave-tmp", "soak.svg"));
const CYCLE_MS = 60_000;
const SAMPLE_MS = 2000;
const SESSIONS = 300;
const WORKERS = 6;
const RUNTIMES: RuntimeName[] = ["node", "deno", "bun"];

const dir = await tempDir("soak");
const ports = await freePorts(6);
const [http, receivers] = [ports.slice(0, 3), ports.slice(3)];
const config = await writeJson(dir, "cluster.json", {
  logLevel: "info",
  http: { host: "127.0.0.1", port: http[0] },
  apps: [{ path: "/", module: join(REPO, "test/netns/fault_app.ts"), distributable: true }],
  cluster: {
    className: "SimpleTcpCluster",
    channelSendOptions: 6,
    manager: { className: "DeltaManager", antiEntropyInterval: 10 },
    valves: [{ className: "ReplicationValve" }],
    channel: loopbackChannel(receivers, crypto.randomUUID()),
  },
});
const start = (i: number) =>
  new NodeProcess({
    runtime: RUNTIMES[i],
    jvmRoute: `s${i + 1}`,
    config,
    httpPort: http[i],
    receiverPort: receivers[i],
  });
const procs = RUNTIMES.map((_, i) => start(i));
const ready = (i: number) =>
  procs[i].waitFor("ready", (l) => l.msg === "Node started", { timeoutMs: 60_000 });
await Promise.all(procs.map((_, i) => ready(i)));

const url = (i: number, path: string) => `http://127.0.0.1:${http[i]}${path}`;
async function call(i: number, path: string, id?: string): Promise<Record<string, unknown>> {
  const response = await fetch(url(i, path), {
    headers: id ? { cookie: `JSESSIONID=${id}` } : {},
    signal: AbortSignal.timeout(3000),
  });
  return await response.json() as Record<string, unknown>;
}

const ids: string[] = [];
for (let s = 0; s < SESSIONS; s++) ids.push(String((await call(s % 3, "/new")).id));

// Load: each worker writes a counter to a random session through a random node.
let running = true;
let acked = 0;
let failed = 0;
let latencies: number[] = [];
const workers = Array.from({ length: WORKERS }, async (_, w) => {
  for (let n = 0; running; n++) {
    const t = performance.now();
    try {
      const ok = await call(n % 3, `/set?k=w${w}&v=${n}`, ids[(n * 7 + w) % SESSIONS]);
      if (ok.ok) acked++;
      else failed++;
      latencies.push(performance.now() - t);
    } catch {
      failed++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
});

interface Sample {
  t: number;
  rss: (number | undefined)[];
  lagMax: (number | undefined)[];
  rps: number;
  p99: number;
}
const samples: Sample[] = [];
const t0 = Date.now();
const rss = (pid: number) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
};
const lag = async (i: number) => {
  try {
    const text = await (await fetch(url(i, "/_conclave/metrics"), {
      signal: AbortSignal.timeout(1000),
    })).text();
    const m = /conclave_replication_lag_ms\{[^}]*stat="max"\} ([\d.e+-]+)/.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
};
let lastAcked = 0;
const sampler = setInterval(async () => {
  const sorted = latencies.sort((a, b) => a - b);
  latencies = [];
  samples.push({
    t: (Date.now() - t0) / 1000,
    rss: procs.map((p) => (p.alive ? rss(p.pid) : undefined)),
    lagMax: await Promise.all(procs.map((_, i) => lag(i))),
    rps: (acked - lastAcked) / (SAMPLE_MS / 1000),
    p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
  });
  lastAcked = acked;
}, SAMPLE_MS);

// Faults, once per cycle: a pause of s3, a kill -9 and restart of s2.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const end = t0 + MINUTES * 60_000;
let faults = 0;
while (Date.now() < end) {
  const left = () => end - Date.now();
  await sleep(Math.min(10_000, Math.max(0, left())));
  if (left() < 15_000) break;
  procs[2].signal("SIGSTOP");
  await sleep(5000);
  procs[2].signal("SIGCONT");
  await sleep(Math.min(15_000, left()));
  procs[1].signal("SIGKILL");
  await procs[1].exited;
  await sleep(3000);
  procs[1] = start(1);
  await ready(1);
  faults++;
  await sleep(Math.max(0, Math.min(CYCLE_MS - 33_000, left())));
}
running = false;
await Promise.all(workers);
clearInterval(sampler);

// Every node holds the same sessions within 30 s of the load's end.
const stopAt = Date.now();
let agreed = -1;
while (Date.now() - stopAt < 30_000) {
  let same = true;
  for (const id of ids) {
    const views = await Promise.all(
      [0, 1, 2].map(async (i) => JSON.stringify(await call(i, "/dump", id))),
    );
    if (views.some((v) => v !== views[0])) {
      same = false;
      break;
    }
  }
  if (same) {
    agreed = Date.now() - stopAt;
    break;
  }
  await sleep(500);
}

const column = (f: (s: Sample) => number | undefined) =>
  samples.map(f).filter((v) => v !== undefined) as number[];
const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    first: values[0] ?? 0,
    last: values.at(-1) ?? 0,
    max: sorted.at(-1) ?? 0,
    p50: sorted[Math.floor(sorted.length / 2)] ?? 0,
  };
};
console.log(
  `soak: ${MINUTES} min, ${faults} fault cycles (SIGSTOP 5 s + kill -9/restart), ${SESSIONS} sessions`,
);
console.log(
  `writes acknowledged: ${acked} (${(acked / (MINUTES * 60)).toFixed(0)}/s), failed: ${failed}`,
);
for (const [i, runtime] of RUNTIMES.entries()) {
  const m = stats(column((s) => s.rss[i]));
  const l = stats(column((s) => s.lagMax[i]));
  console.log(
    `s${i + 1} (${runtime}): RSS first ${m.first.toFixed(0)} MB, last ${m.last.toFixed(0)} MB, ` +
      `max ${m.max.toFixed(0)} MB; lag max-since-start: p50 ${l.p50.toFixed(1)} ms, max ${
        l.max.toFixed(1)
      } ms`,
  );
}
const p99 = stats(column((s) => s.p99));
console.log(
  `write latency p99 per ${SAMPLE_MS / 1000} s window: p50 ${p99.p50.toFixed(1)} ms, max ${
    p99.max.toFixed(0)
  } ms`,
);
console.log(
  agreed >= 0 ? `all nodes agree ${agreed} ms after the load stopped` : "NODES DISAGREE after 30 s",
);

await writeFile(SVG, svg(samples));
console.log(`picture: ${SVG}`);
await killAll();
await removeDir(dir);

/** Two stacked line charts: RSS per node (MB) and the max replication lag per node (ms). */
function svg(data: Sample[]): string {
  const W = 720;
  const H = 180;
  const colors = ["#1f77b4", "#d62728", "#2ca02c"];
  const tMax = Math.max(1, ...data.map((s) => s.t));
  const chart = (y0: number, title: string, pick: (s: Sample, i: number) => number | undefined) => {
    const values = data.flatMap((s) => [0, 1, 2].map((i) => pick(s, i) ?? 0));
    const vMax = Math.max(1, ...values);
    const lines = [0, 1, 2].map((i) => {
      const points = data.filter((s) => pick(s, i) !== undefined).map((s) =>
        `${(50 + (s.t / tMax) * (W - 70)).toFixed(1)},${
          (y0 + H - 20 - ((pick(s, i) ?? 0) / vMax) * (H - 40)).toFixed(1)
        }`
      );
      return `<polyline fill="none" stroke="${colors[i]}" stroke-width="1.5" points="${
        points.join(" ")
      }"/>`;
    });
    return [
      `<text x="50" y="${y0 + 14}" font-size="13">${title} (max ${vMax.toFixed(1)})</text>`,
      `<line x1="50" y1="${y0 + H - 20}" x2="${W - 20}" y2="${y0 + H - 20}" stroke="#999"/>`,
      `<line x1="50" y1="${y0 + 20}" x2="50" y2="${y0 + H - 20}" stroke="#999"/>`,
      ...lines,
    ].join("\n");
  };
  const legend = RUNTIMES.map((r, i) =>
    `<text x="${60 + i * 120}" y="${2 * H + 30}" fill="${colors[i]}" font-size="12">s${
      i + 1
    } ${r}</text>`
  ).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${
    2 * H + 40
  }" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${chart(0, "RSS, MB", (s, i) => s.rss[i])}
${chart(H, "replication lag, max since start, ms", (s, i) => s.lagMax[i])}
${legend}
<text x="${W - 140}" y="${2 * H + 30}" font-size="12">time: 0-${tMax.toFixed(0)} s</text>
</svg>
`;
}
