/**
 * DeltaManager's state transfer over the network, joined several times on one seeded cluster:
 * `bench/http.ts`'s Conclave set-up (three nodes in host mode, the secret on, sync-ack), N
 * sessions seeded through n1, then a 4th node joins and leaves `--joins` times. Each join prints
 * the joiner's "State transfer done" ms and MB/s (sessions x 1024 B / 1e6 / s) and the sender's
 * "State sent" ms; the last line gives their medians. With `--profile` (Node only) the joiner and
 * the sender run under `--cpu-prof`, and each profile is summarized (shares by place, top self
 * time). It prints numbers; it asserts nothing.
 *
 * ```sh
 * flock /tmp/bench.lock node --import tsx bench/state_transfer_profile.ts --runtime node --profile
 * flock /tmp/bench.lock node --import tsx bench/state_transfer_profile.ts --runtime bun --joins 5
 * ```
 * Flags: `--runtime node|deno|bun`, `--sessions N` (100,000), `--joins N` (3), `--profile`,
 * `--top N` (functions listed per profile), `--joiner-flags "--trace-gc ..."` (more flags for a
 * Node joiner; its output lands in its log in `.conclave-tmp/`), `--keep` (keep the logs).
 *
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { killAll, logged } from "../test/helpers/node_process.ts";
import { REPO } from "../test/helpers/runtime.ts";
import { benchFlags } from "./lib/flags.ts";
import { lastBurst, type Profile, summarize } from "./lib/cpu_profile.ts";
import { fixed, median } from "./lib/stats.ts";
import { startConclave, startConclaveNode } from "./http/conclave.ts";
import { seedInBatches } from "./http/scale.ts";
import type { Runtime } from "./http/settings.ts";
import { run, START_TIMEOUT, stopSetUp, waitLine } from "./http/setup.ts";
import { cpuMs, freePort } from "./http/util.ts";

async function main(): Promise<void> {
  const flags = benchFlags(process.argv.slice(2));
  const runtime = (flags.value("runtime") ?? "node") as Runtime;
  const sessions = flags.number("sessions", 100_000);
  const joins = flags.number("joins", 3);
  const top = flags.number("top", 25);
  const profiling = process.argv.includes("--profile") && runtime === "node";
  run.workDir = join(REPO, ".conclave-tmp", `state-transfer-${process.pid}`);
  const dir = join(run.workDir, "profile");
  mkdirSync(dir, { recursive: true });
  const nodeFlags = profiling ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : undefined;
  const joinerFlags = [...(nodeFlags ?? []), ...(flags.value("joiner-flags")?.split(" ") ?? [])];
  const keep = process.argv.includes("--keep") || profiling;
  const setUp = await startConclave(runtime, "use_ack,sync", nodeFlags);
  const names = new Map(setUp.servers.map((s) => [s.proc.pid, s.name]));
  const rates: number[] = [];
  const sentMs: number[] = [];
  try {
    const seeded = await seedInBatches(setUp.servers[0], sessions, 64);
    console.log(`${runtime}: ${sessions} sessions seeded in ${fixed(seeded.ms / 1000, 1)} s`);
    for (let i = 0; i < joins; i++) {
      const ports = { http: await freePort(), receiver: await freePort() };
      const marks = setUp.servers.map((s) => s.proc.mark());
      const membersCpu = setUp.servers.map((s) => cpuMs([s.proc.pid]));
      const joiner = startConclaveNode(
        setUp,
        runtime,
        "n4",
        setUp.configFile!,
        ports,
        joinerFlags,
      );
      names.set(joiner.pid, `joiner n4 #${i + 1}`);
      try {
        const done = await waitLine(joiner, "State transfer done", 300_000);
        const joinerCpu = cpuMs([joiner.pid]);
        const senderCpu = Math.max(
          ...setUp.servers.map((s, k) => cpuMs([s.proc.pid]) - membersCpu[k]),
        );
        await waitLine(joiner, "Node started", START_TIMEOUT);
        const sent = await Promise.any(
          setUp.servers.map((s, k) =>
            s.proc.waitFor("State sent", logged("State sent to a joining member"), {
              from: marks[k],
              timeoutMs: 30_000,
            })
          ),
        );
        const ms = Number(done.ms);
        const rate = (Number(done.sessions) * 1024) / 1e6 / (ms / 1000);
        rates.push(rate);
        sentMs.push(Number(sent.ms));
        console.log(
          `join ${i + 1}: ${done.sessions} sessions in ${ms} ms = ${fixed(rate, 1)} MB/s; ` +
            `sender's "State sent" ${sent.ms} ms; CPU ms (all threads): sender ${
              fixed(senderCpu, 0)
            }, joiner ${fixed(joinerCpu, 0)} (its start included)`,
        );
      } finally {
        await joiner.stop();
        await Promise.all(
          setUp.servers.map((s, k) =>
            s.proc.next(logged("Member disappeared", "n4"), { from: marks[k], timeoutMs: 10_000 })
          ),
        );
      }
    }
    console.log(
      `median of ${joins}: ${fixed(median(rates), 1)} MB/s (${
        rates.map((r) => fixed(r, 1)).join(", ")
      }); sender ${fixed(median(sentMs), 0)} ms`,
    );
  } finally {
    await stopSetUp(setUp);
  }
  if (!keep) rmSync(run.workDir, { recursive: true, force: true });
  if (!profiling) return;
  // Main threads only (the second number after the pid is the thread), the last join's burst.
  const files = readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)).sort();
  for (const file of files) {
    const pid = Number(file.split(".")[3]);
    const name = names.get(pid) ?? `pid ${pid}`;
    const joiner = name.startsWith("joiner");
    const whole = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
    const profile = lastBurst(whole, joiner ? /^received$/ : /^(chunkMessages|full)$/);
    if (profile.samples.length === 0) continue;
    console.log(`\n${name}, ${joiner ? "receiving" : "sending"} (${join(dir, file)})`);
    for (const line of summarize(profile, top, top)) console.log(line);
  }
  console.log(`\nprofiles kept in ${dir}`);
}

await main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(killAll);
