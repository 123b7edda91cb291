/**
 * Where a Node node's CPU goes under HTTP load: the `bench/http.ts` cluster (three Node nodes in
 * host mode, the secret on, sync-ack DeltaManager) with every node under `--cpu-prof`, wrk on
 * node 1 at one concurrency, then a SIGTERM so that each node writes its profile. It prints, per
 * node, the share of busy time by where the code lives (Node's own `node:` modules, the HTTP
 * adapter, Conclave, other packages, V8's garbage collector) and the functions with the most
 * self time.
 *
 * ```sh
 * node --import tsx bench/http_profile.ts                    # /read, c16, 8 s
 * node --import tsx bench/http_profile.ts --path write --concurrency 64 --seconds 10 --top 30
 * node --import tsx bench/http_profile.ts --runtime deno     # no profile: req/s and CPU only
 * ```
 *
 * Profiles are kept in `.conclave-tmp/profile/` (open them in Chrome's DevTools). Profiling
 * slows the nodes down: read the shares, not the req/s. `--no-profile` runs the same load without
 * the profiler, for the req/s and each node's CPU time per request of the load (user and system, from /proc).
 *
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { killAll } from "../test/helpers/node_process.ts";
import { REPO } from "../test/helpers/runtime.ts";
import { benchFlags } from "./lib/flags.ts";
import { type Profile, summarize } from "./lib/cpu_profile.ts";
import { startConclave } from "./http/conclave.ts";
import { makePool, run, stopSetUp } from "./http/setup.ts";
import { cpuSplitMs } from "./http/util.ts";
import { runWrk } from "./http/wrk.ts";

async function main(): Promise<void> {
  const flags = benchFlags(process.argv.slice(2));
  const path = flags.value("path") ?? "read";
  const concurrency = flags.number("concurrency", 16);
  const seconds = flags.number("seconds", 8);
  const top = flags.number("top", 20);
  const threads = flags.number("threads", 4);
  run.workDir = join(REPO, ".conclave-tmp");
  const dir = join(run.workDir, "profile");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const runtime = flags.value("runtime") ?? "node";
  if (runtime !== "node" && runtime !== "deno" && runtime !== "bun") {
    throw new Error(`--runtime takes node, deno or bun, not ${runtime}`);
  }
  // Only Node writes a .cpuprofile; Deno and Bun nodes run unprofiled, for their CPU figures.
  const profiling = runtime === "node" && !process.argv.includes("--no-profile");
  const flagsOfNode = profiling ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
  const setUp = await startConclave(runtime, "use_ack,sync", flagsOfNode);
  const names = new Map(setUp.servers.map((s) => [s.proc.pid, s.name]));
  try {
    for (const server of setUp.servers) await makePool(setUp, server, 100);
    const target = [{ port: setUp.servers[0].httpPort, cookies: setUp.servers[0].pool }];
    const wrk = (secs: number) =>
      runWrk({
        scriptFile: join(run.workDir, "wrk.lua"),
        targets: target,
        path: `/${path}`,
        threads: Math.min(concurrency, threads),
        connections: concurrency,
        seconds: secs,
      });
    await wrk(2); // warm-up: the profile covers it too, but JIT settles first
    const before = setUp.servers.map((s) => cpuSplitMs(s.proc.pid));
    const result = await wrk(seconds);
    const perRequest = (ms: number) => (ms * 1000 / result.requests).toFixed(1);
    const cpu = setUp.servers.map((s, i) => {
      const after = cpuSplitMs(s.proc.pid);
      const user = perRequest(after.user - before[i].user);
      return `${s.name} user ${user}, system ${perRequest(after.system - before[i].system)}`;
    });
    console.log(
      `${runtime}: /${path} c${concurrency} on n1 for ${seconds} s${
        profiling ? " (profiled)" : ""
      }: ${Math.round(result.rps)} req/s, p99 ${result.p99.toFixed(2)} ms; CPU µs/request: ${
        cpu.join("; ")
      }`,
    );
  } finally {
    await stopSetUp(setUp);
  }
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).sort()) {
    const pid = Number(file.split(".")[3]);
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
    console.log(`\n${names.get(pid) ?? `pid ${pid}`} (${join(".conclave-tmp", "profile", file)})`);
    for (const line of summarize(profile, top)) console.log(line);
  }
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await killAll();
}
