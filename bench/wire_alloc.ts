/**
 * JS heap allocated per replicated message on the wire path, and the young-generation GCs it
 * brings (issue 18, Node's lag tail). One process: a `PooledParallelSender` and a `NioReceiver`
 * on loopback with the channel secret (AES-GCM records), sending sync-ack messages one at a time
 * as light-load replication does; the receiver decodes each payload as the channel would. Both
 * ends run here, so the figures count the send and the receive path together.
 *
 * ```sh
 * node --import tsx bench/wire_alloc.ts                 # Node only (v8.GCProfiler)
 * node --import tsx bench/wire_alloc.ts --messages 20000 --rounds 3
 * node --import tsx bench/wire_alloc.ts --profile       # + allocation sites (sampling profiler)
 * ```
 *
 * Allocation is read from V8's heap statistics around each GC (`v8.GCProfiler`): the growth of
 * the used heap between one GC's end and the next one's start, summed. It prints bytes per
 * message, scavenges per 1000 messages and scavenge pause p50/max.
 *
 * @module
 */
import { Session } from "node:inspector";
import process from "node:process";
import v8 from "node:v8";
import type { Member } from "../src/interfaces/member.ts";
import { type ChannelMessage, SendOptions } from "../src/interfaces/message.ts";
import { UniqueId } from "../src/interfaces/unique_id.ts";
import { attributeDefaults } from "../src/kernel/config/attributes.ts";
import { decodeValue, encodeValue } from "../src/kernel/codec.ts";
import { tcpMember, testComponents } from "../src/testing/tcp_harness.ts";
import receiverPlugin from "../plugins/receiver/nio/mod.ts";
import transportPlugin from "../plugins/transport/pooled-parallel/mod.ts";
import { int, median } from "./lib/stats.ts";

const SECRET = "bench-wire-alloc-secret-0123456789abcdef0123456789abcdef";

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}
const MESSAGES = flag("messages", 20_000);
const ROUNDS = flag("rounds", 3);
const PROFILE = process.argv.includes("--profile");

interface GcEntry {
  gcType: string;
  cost: number; // µs
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

/** A delta-like payload: a session id and one fresh 1 KiB string attribute. */
function payload(i: number): Uint8Array {
  return encodeValue({
    id: "0123456789ABCDEF0123456789ABCDEF.node1",
    version: i,
    set: { value: `${i}`.padEnd(1024, "x") },
  });
}

async function main(): Promise<void> {
  const localId = UniqueId.random();
  const receiverId = UniqueId.random();
  const receiver = await receiverPlugin.create(
    {
      ...attributeDefaults(receiverPlugin.attributes),
      address: "127.0.0.1",
      port: 0,
      autoBind: 1,
    },
    testComponents({ localMember: { id: receiverId, jvmRoute: "node2" }, channelSecret: SECRET }),
  );
  let received = 0;
  receiver.setHandler((message) => {
    decodeValue(message.payload);
    received++;
    return Promise.resolve();
  });
  await receiver.start();
  const sender = await transportPlugin.create(
    attributeDefaults(transportPlugin.attributes),
    testComponents({ localMember: { id: localId, jvmRoute: "node1" }, channelSecret: SECRET }),
  );
  await sender.start();
  const self: Member = { ...tcpMember("127.0.0.1", 1, "node1"), id: localId };
  const to: Member = {
    ...tcpMember("127.0.0.1", receiver.boundAddress!.port, "node2"),
    id: receiverId,
  };
  const options = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;
  const send = (i: number) => {
    const message: ChannelMessage = {
      options,
      timestamp: Date.now(),
      uniqueId: UniqueId.random(),
      address: self,
      payload: payload(i),
    };
    return sender.sendMessage(message, [to]);
  };
  for (let i = 0; i < 5000; i++) await send(i); // warm-up

  const session = PROFILE ? new Session() : undefined;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session!.post(
        method,
        params ?? {},
        (error, result) => error ? reject(error) : resolve(result),
      )
    );
  console.log(
    `# ${MESSAGES} sync-ack messages of ${payload(0).length} bytes, one at a time, secret on; ` +
      `node ${process.version}; both ends in this process`,
  );
  const perMessage: number[] = [];
  const perThousand: number[] = [];
  const pauses: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (session) {
      session.connect();
      await post("HeapProfiler.enable");
      await post("HeapProfiler.startSampling", {
        samplingInterval: 512,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    const profiler = new v8.GCProfiler();
    profiler.start();
    const before = v8.getHeapStatistics().used_heap_size;
    const t0 = performance.now();
    for (let i = 0; i < MESSAGES; i++) await send(i);
    const ms = performance.now() - t0;
    const after = v8.getHeapStatistics().used_heap_size;
    const { statistics } = profiler.stop() as unknown as { statistics: GcEntry[] };
    let allocated = 0;
    let last = before;
    const scavenges: number[] = [];
    for (const gc of statistics) {
      allocated += gc.beforeGC.heapStatistics.usedHeapSize - last;
      last = gc.afterGC.heapStatistics.usedHeapSize;
      if (gc.gcType === "Scavenge") scavenges.push(gc.cost / 1000);
    }
    allocated += after - last;
    perMessage.push(allocated / MESSAGES);
    perThousand.push(scavenges.length / MESSAGES * 1000);
    pauses.push(...scavenges);
    console.log(
      `round ${round + 1}: ${int(allocated / MESSAGES)} B/message, ` +
        `${(scavenges.length / MESSAGES * 1000).toFixed(2)} scavenges/1000 messages, ` +
        `scavenge p50 ${median(scavenges).toFixed(2)} ms max ${
          Math.max(0, ...scavenges).toFixed(2)
        } ms, other GCs ${statistics.length - scavenges.length}, ${
          (ms / MESSAGES * 1000).toFixed(0)
        } µs/message`,
    );
    if (session) {
      const { profile } = await post("HeapProfiler.stopSampling") as { profile: ProfileNode };
      printSites(profile, MESSAGES);
      session.disconnect();
    }
  }
  pauses.sort((a, b) => a - b);
  console.log(
    `median: ${int(median(perMessage))} B/message, ${
      median(perThousand).toFixed(2)
    } scavenges/1000 messages, scavenge p50 ${median(pauses).toFixed(2)} ms max ${
      Math.max(0, ...pauses).toFixed(2)
    } ms (received ${received})`,
  );
  await sender.stop();
  await receiver.stop();
}

interface ProfileNode {
  head: HeapNode;
  samples: { size: number; nodeId: number }[];
}
interface HeapNode {
  id: number;
  selfSize: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: HeapNode[];
}

/** Bytes per message by allocating function (self), the top 25. */
function printSites(profile: ProfileNode, messages: number): void {
  const byNode = new Map<number, HeapNode>();
  const parent = new Map<number, HeapNode>();
  const walk = (node: HeapNode) => {
    byNode.set(node.id, node);
    for (const child of node.children) {
      parent.set(child.id, node);
      walk(child);
    }
  };
  walk(profile.head);
  const bySite = new Map<string, number>();
  const label = (node: HeapNode | undefined) => {
    if (!node) return "?";
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || "(anon)"} ${
      url.replace(/^.*\/(src|plugins|node_modules)\//, "$1/")
    }:${lineNumber + 1}`;
  };
  for (const sample of profile.samples) {
    const node = byNode.get(sample.nodeId);
    // Name the site with its caller: the leaf is often a builtin.
    const key = `${label(node)} <- ${label(parent.get(sample.nodeId))}`;
    bySite.set(key, (bySite.get(key) ?? 0) + sample.size);
  }
  const rows = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30);
  for (const [site, bytes] of rows) {
    console.log(`  ${int(bytes / messages).padStart(6)} B  ${site}`);
  }
}

await main();
process.exit(0);
