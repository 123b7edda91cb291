/**
 * Issue 14, "peers are unbounded", on a two-node cluster over TCP on 127.0.0.1: an attacker holds
 * more connections than `maxConnections` and half-sent frames beyond `maxBufferedBytes` on one
 * node's receiver, and sends junk payloads in well-formed frames; the extra connections are closed,
 * each kind of bad input is logged once, and meanwhile that node's HTTP answers and sessions keep
 * replicating both ways over the connections the nodes hold.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { setImmediate } from "node:timers";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { type ClusterNode, startNode } from "../../src/node/node.ts";
import { captureLogger } from "../../src/testing/capture_logger.ts";
import { memoryChannel, REPO_ROOT, seesAMember } from "../../src/testing/memory_config.ts";
import { tcpMember } from "../../src/testing/tcp_harness.ts";
import { encodeMessageHeader } from "../../src/wire/envelope.ts";
import { encodeFrame } from "../../src/wire/frame.ts";

const KiB = 1024;
const MAX_CONNECTIONS = 24;
const ATTACK_CONNECTIONS = 60;

/** The counter app on an in-memory membership, replicating over TCP with a bounded receiver. */
function config(network: string, jvmRoute: string) {
  const receiver = {
    className: "NioReceiver",
    port: 0,
    maxConnections: MAX_CONNECTIONS,
    maxFrameSize: 256 * KiB,
    maxBufferedBytes: 512 * KiB,
    frameTimeout: 120_000, // the real clock: nothing may time out during the test
  };
  const channel = {
    ...memoryChannel(network),
    receiver,
    sender: { className: "ReplicationTransmitter" },
  };
  return loadConfig({
    jvmRoute,
    http: { host: "127.0.0.1", port: 0 },
    apps: [{ path: "/", module: "./examples/session-counter/app.ts", distributable: true }],
    // sync-ack: a response is sent once the other node applied it
    cluster: { className: "SimpleTcpCluster", channelSendOptions: 6, channel },
  }, { baseDir: REPO_ROOT });
}

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn > 500_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("a node whose receiver an attacker holds past its bounds", () => {
  const nodes: ClusterNode[] = [];
  const attack: { socket: net.Socket; closed: boolean }[] = [];
  const logs = captureLogger();
  let cookie = "";
  let counter = 0;

  /** One request to `node` with the session cookie; follows the cookie's rebinding. */
  async function count(node: ClusterNode): Promise<number> {
    const response = await fetch(node.url as string, { headers: cookie ? { cookie } : {} });
    assert.equal(response.status, 200);
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) cookie = setCookie.split(";")[0];
    const body = await response.json() as { node: string; counter: number };
    assert.equal(body.node, node.jvmRoute);
    return body.counter;
  }

  before(async () => {
    const network = `bounds-${UniqueId.random().hex}`;
    const met: Promise<void>[] = [];
    for (const route of ["n1", "n2"]) {
      const logger = route === "n2" ? logs.logger : silentLogger();
      const node = await startNode(config(network, route), { logger, host: true });
      nodes.push(node);
      met.push(seesAMember(node));
    }
    await Promise.all(met);
    // Sessions replicate both ways before the attack: each node holds a connection to the other.
    counter = await count(nodes[0]);
    assert.equal(await count(nodes[1]), ++counter);
    assert.equal(await count(nodes[0]), ++counter);
  });

  after(async () => {
    for (const { socket } of attack) socket.destroy();
    for (const node of nodes) await node.stop();
  });

  it("closes connections past maxConnections, holds half frames, and keeps HTTP and replication", {
    timeout: 60_000,
  }, async () => {
    const [n1, n2] = nodes;
    const port = n2.channel.getLocalMember().port;
    for (let i = 0; i < ATTACK_CONNECTIONS; i++) {
      attack.push(
        await new Promise((resolve) => {
          const socket = net.connect({ host: "127.0.0.1", port });
          const held = { socket, closed: false };
          socket.on("error", () => {});
          socket.on("close", () => held.closed = true);
          socket.on("connect", () => resolve(held));
        }),
      );
    }
    // n1 holds at least one of the receiver's connections, so at most MAX - 1 attackers stay.
    const least = ATTACK_CONNECTIONS - (MAX_CONNECTIONS - 1);
    await until(() => attack.filter((a) => a.closed).length >= least, `${least} closed`);
    const open = attack.filter((a) => !a.closed);
    assert.ok(open.length < MAX_CONNECTIONS, `${open.length} attacker connections held`);
    const refusals = logs.lines.filter((l) => l.code === "WIRE_ERR_CONNECTION_LIMIT");
    assert.equal(refusals.filter((l) => l.level === 40).length, 1, "one warn line for all");

    // Half frames beyond the budget on the connections held (pool: 256 KiB).
    const header = encodeMessageHeader(1, 0, Date.now(), UniqueId.random(), tcpMember("x", 1));
    const half = encodeFrame(header, new Uint8Array(250 * KiB)).subarray(0, 200 * KiB);
    await Promise.all(
      open.slice(0, 6).map(({ socket }) =>
        new Promise<void>((resolve) => socket.write(half, () => resolve()))
      ),
    );

    const budget = /^maxBufferedBytes reached/;
    await until(() => logs.lines.some((l) => budget.test(String(l.msg))), "the budget spent");

    // HTTP on the attacked node answers, and each request replicates to the other node.
    for (let i = 0; i < 3; i++) {
      assert.equal(await count(n2), ++counter);
      assert.equal(await count(n1), ++counter);
    }
    // Junk payloads in well-formed frames: counted, and one warn line per kind of line.
    const junker = open[open.length - 1].socket;
    const junkFrames = Array.from({ length: 200 }, (_, i) =>
      encodeFrame(
        encodeMessageHeader(i + 1, 0, Date.now(), UniqueId.random(), tcpMember("x", 1)),
        new Uint8Array([0xff]), // not CBOR
      ));
    const failuresBefore = n2.channel.stats.decodeFailures;
    junker.write(Buffer.concat(junkFrames));
    await until(() => n2.channel.stats.decodeFailures === failuresBefore + 200, "200 junk frames");
    const warned = (msg: string) =>
      logs.lines.filter((l) => l.level === 40 && String(l.msg).startsWith(msg)).length;
    assert.equal(warned("Message payload dropped"), 1);
    assert.equal(warned("Processing a message failed"), 1);

    assert.ok(open.every((a) => !a.closed), "the attacker still holds its connections");
    assert.equal(logs.lines.filter((l) => budget.test(String(l.msg))).length, 1);
    assert.equal(
      logs.lines.filter((l) => l.code === "WIRE_ERR_CONNECTION_LIMIT" && l.level === 40).length,
      1,
    );
  });
});
