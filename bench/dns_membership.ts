/**
 * DNS membership benchmark: the time from a member's DNS record appearing to the member being
 * seen. It prints numbers; it asserts nothing.
 *
 * ```sh
 * node --import tsx bench/dns_membership.ts            # Node
 * node_modules/.bin/deno run -A bench/dns_membership.ts  # Deno
 * node_modules/.bin/bun bench/dns_membership.ts        # Bun
 * ```
 * Flags: `--trials N` (default 10), `--refresh MS` (default 5000, DnsMembershipService's
 * default), `--quick` (3 trials).
 *
 * **Method.** A dnsmasq on 127.0.0.1 (Debian `dnsmasq-base`) answers for one name. Each trial
 * starts two nodes of this runtime (`node.ts`) on addresses of their own in 127.X.Y.0/24 while
 * the name has no records, waits until both logged "Node started" (start waits for the first,
 * empty, answer), waits a random part of `refresh` (so that the records appear at a random
 * point of the nodes' refresh period), then publishes both records (the hosts file re-read on
 * SIGHUP, confirmed by dnsmasq's log) and takes `Date.now()`. The figure is the `time` of the
 * later of the two "Member added" lines minus that instant (one machine, one clock). Both nodes
 * are then stopped by SIGTERM. Whichever node looks the name up first finds the other and greets
 * it, so the figure is at most `refresh` plus a lookup and a heartbeat's round trip, and about
 * `refresh / 2` on average (the two nodes started together, so their periods are nearly in
 * phase).
 *
 * @module
 */
import { cpus, loadavg } from "node:os";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { detectRuntime } from "../src/runtime/detect.ts";
import { Dnsmasq, dnsmasqUnavailable } from "../src/testing/dnsmasq.ts";
import { loopbackBlock } from "../src/testing/dns_harness.ts";
import { clusterConfig, randomSecret, removeDir, tempDir, writeJson } from "../test/netns/netns.ts";
import { added, killAll, NodeProcess, started, stopped } from "../test/helpers/node_process.ts";
import type { RuntimeName as Runtime } from "../test/helpers/runtime.ts";
import { benchFlags } from "./lib/flags.ts";
import { percentile, table } from "./lib/stats.ts";

const flags = benchFlags(process.argv.slice(2));
const quick = process.argv.includes("--quick");
const trials = flags.number("trials", quick ? 3 : 10);
const refresh = flags.number("refresh", 5000);
const runtime = detectRuntime().name as Runtime;
const NAME = "members.bench.test";

const unavailable = dnsmasqUnavailable();
if (unavailable) {
  console.log(`dns_membership bench: cannot run, ${unavailable}`);
  process.exit(0);
}

console.log(
  `DNS record -> member seen, ${runtime}, refresh ${refresh} ms, ${trials} trials, ` +
    `${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
);

const dns = await Dnsmasq.start();
const dir = await tempDir("bench-dns");
const figures: number[] = [];
try {
  for (let trial = 0; trial < trials; trial++) {
    const address = loopbackBlock();
    const port = 20000 + Math.floor(Math.random() * 10000);
    await dns.setAddresses([]);
    const config = await writeJson(
      dir,
      `cluster-${trial}.json`,
      clusterConfig({
        className: "DnsMembershipService",
        dnsName: NAME,
        dnsServers: [dns.server],
        refresh,
        secret: randomSecret(),
      }, "${RECEIVER_ADDRESS}"),
    );
    const pair = [2, 3].map((n) =>
      new NodeProcess({
        runtime,
        jvmRoute: `t${trial}-${n}`,
        config,
        receiverPort: port,
        env: { RECEIVER_ADDRESS: address(n) },
      })
    );
    for (const p of pair) await p.waitFor('"Node started"', started, { timeoutMs: 60_000 });
    // The records appear at a random point of the nodes' refresh period, as they would in life.
    await sleep(Math.random() * refresh);
    await dns.setAddresses([2, 3].map((n) => ({ name: NAME, address: address(n) })));
    const appeared = Date.now();
    const [a, b] = pair;
    const seen = await Promise.all([
      a.waitFor("the other member", added(b.jvmRoute), { timeoutMs: 4 * refresh + 10_000 }),
      b.waitFor("the other member", added(a.jvmRoute), { timeoutMs: 4 * refresh + 10_000 }),
    ]);
    const ms = Math.max(...seen.map((l) => l.time)) - appeared;
    figures.push(ms);
    console.error(`trial ${trial + 1}: ${ms} ms`);
    for (const p of pair) p.signal("SIGTERM");
    await Promise.all(pair.map((p) => p.waitFor('"Node stopped"', stopped)));
    await Promise.all(pair.map((p) => p.exited));
  }
} finally {
  await killAll();
  await dns.stop();
  await removeDir(dir);
}

const sorted = [...figures].sort((x, y) => x - y);
const mean = figures.reduce((s, x) => s + x, 0) / figures.length;
console.log(table([
  ["runtime", "refresh ms", "trials", "min", "p50", "mean", "max"],
  [
    runtime,
    String(refresh),
    String(figures.length),
    String(sorted[0]),
    String(percentile(sorted, 50)),
    mean.toFixed(0),
    String(sorted[sorted.length - 1]),
  ],
]));
