/**
 * DNS membership with real node processes (`node.ts`) and a real dnsmasq: five nodes of this
 * runtime started at the same moment from one DNS name form one cluster (no split brain), and a
 * Node, a Deno and a Bun node find each other when their records appear, and lose a member that
 * is scaled down (record removed, process killed). Each node listens on an address of its own in
 * a random 127.X.Y.0/24, all on one port, as pods behind a headless service do. Prints the time
 * from the records appearing to the members being seen; asserts no timing.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { detectRuntime } from "../../src/runtime/detect.ts";
import { Dnsmasq, dnsmasqUnavailable } from "../../src/testing/dnsmasq.ts";
import { loopbackBlock } from "../../src/testing/dns_harness.ts";
import { clusterConfig, randomSecret, removeDir, tempDir, writeJson } from "../netns/netns.ts";
import {
  added,
  disappeared,
  killAll,
  NodeProcess,
  started,
  stopped,
} from "../helpers/node_process.ts";
import type { RuntimeName as Runtime } from "../helpers/runtime.ts";

const skip = dnsmasqUnavailable();
if (skip) console.log(`dns_cluster_test.ts: skipped, ${skip}`);

const REFRESH = 1000;
const DNS_NAME = "members.conclave.test";

interface Cluster {
  dns: Dnsmasq;
  config: string;
  port: number;
  address: (n: number) => string;
}

async function cluster(dir: string, published: number[]): Promise<Cluster> {
  const address = loopbackBlock();
  const dns = await Dnsmasq.start(published.map((n) => ({ name: DNS_NAME, address: address(n) })));
  const membership = {
    className: "DnsMembershipService",
    dnsName: DNS_NAME,
    dnsServers: [dns.server],
    refresh: REFRESH,
    frequency: 500,
    dropTime: 3000,
    secret: randomSecret(),
  };
  const config = await writeJson(
    dir,
    "cluster.json",
    clusterConfig(membership, "${RECEIVER_ADDRESS}"),
  );
  // One port for every node, as in a Kubernetes Deployment; the random /24 leaves it free.
  return { dns, config, port: 20000 + Math.floor(Math.random() * 10000), address };
}

function startNode(c: Cluster, runtime: Runtime, n: number): NodeProcess {
  return new NodeProcess({
    runtime,
    jvmRoute: `${runtime}-${n}`,
    config: c.config,
    receiverPort: c.port,
    env: { RECEIVER_ADDRESS: c.address(n) },
  });
}

/** Waits until every node logged "Member added" for every other; returns the last line's time. */
async function meshFormed(nodes: NodeProcess[], from = 0): Promise<number> {
  const lines = await Promise.all(
    nodes.flatMap((p) =>
      nodes.filter((q) => q !== p).map((q) =>
        p.waitFor(`"Member added" for ${q.jvmRoute}`, added(q.jvmRoute), {
          from,
          timeoutMs: 60_000,
        })
      )
    ),
  );
  return Math.max(...lines.map((l) => l.time));
}

async function stopAll(nodes: NodeProcess[]): Promise<void> {
  for (const p of nodes) p.signal("SIGTERM");
  await Promise.all(nodes.map((p) => p.waitFor('"Node stopped"', stopped, { timeoutMs: 30_000 })));
  await Promise.all(nodes.map((p) => p.exited));
}

describe("DNS membership with node processes", () => {
  const dirs: string[] = [];
  const servers: Dnsmasq[] = [];
  after(async () => {
    await killAll();
    for (const s of servers) await s.stop();
    for (const dir of dirs) await removeDir(dir);
  });

  const runtime = detectRuntime().name as Runtime;
  it(
    `five ${runtime} nodes started at the same moment from one DNS name form one cluster`,
    { skip: skip ?? false, timeout: 120_000 },
    async () => {
      const dir = await tempDir("dns-five");
      dirs.push(dir);
      const ids = [2, 3, 4, 5, 6];
      // The records exist before the processes (Kubernetes: publishNotReadyAddresses).
      const c = await cluster(dir, ids);
      servers.push(c.dns);
      try {
        const nodes = ids.map((n) => startNode(c, runtime, n));
        for (const [i, p] of nodes.entries()) {
          const line = await p.waitFor('"Node started"', started, { timeoutMs: 60_000 });
          assert.equal(line.receiver, `${c.address(ids[i])}:${c.port}`);
        }
        await meshFormed(nodes);
        for (const p of nodes) {
          const lost = p.lines.filter((l) => l.msg === "Member disappeared");
          assert.deepEqual(lost, [], `${p.describe()} lost a member while forming`);
        }
        await stopAll(nodes);
      } finally {
        await killAll();
      }
    },
  );

  it(
    "a Node, a Deno and a Bun node find each other when their records appear, and lose a scaled-down one",
    { skip: skip ?? false, timeout: 120_000 },
    async () => {
      const dir = await tempDir("dns-mixed");
      dirs.push(dir);
      const c = await cluster(dir, []);
      servers.push(c.dns);
      try {
        const nodes = (["node", "deno", "bun"] as const).map((r, i) => startNode(c, r, i + 2));
        const [onNode, onDeno, onBun] = nodes;
        for (const p of nodes) {
          const line = await p.waitFor('"Node started"', started, { timeoutMs: 60_000 });
          assert.match(String(line.runtime), new RegExp(`^${p.runtime} \\d`), p.describe());
        }
        // Every node is up and has looked the name up (start waits for the first answer).
        const marks = nodes.map((p) => p.mark());
        const appeared = Date.now();
        await c.dns.setAddresses([2, 3, 4].map((n) => ({ name: DNS_NAME, address: c.address(n) })));
        const formed = await meshFormed(nodes, Math.min(...marks));
        console.log(
          `dns_cluster_test: records appeared -> every member seen: ${formed - appeared} ms ` +
            `(refresh ${REFRESH} ms, ${runtime} test runner)`,
        );

        // Scaled down: the Bun node's record goes, then its process is killed.
        await c.dns.setAddresses([2, 3].map((n) => ({ name: DNS_NAME, address: c.address(n) })));
        onBun.signal("SIGKILL");
        for (const p of [onNode, onDeno]) {
          const line = await p.waitFor(
            `"Member disappeared" for ${onBun.jvmRoute}`,
            disappeared(onBun.jvmRoute),
            { timeoutMs: 30_000 },
          );
          assert.ok(
            line.reason === "expired" || line.reason === "unreachable",
            `${p.describe()}: reason ${line.reason} for a killed node`,
          );
        }
        await onBun.exited;
        await stopAll([onNode, onDeno]);
      } finally {
        await killAll();
      }
    },
  );
});
