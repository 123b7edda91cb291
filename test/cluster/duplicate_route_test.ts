/**
 * NODE_ERR_DUPLICATE_ROUTE (SPEC section 6): a node whose jvmRoute a live member uses refuses to
 * start, naming the member; the running member keeps running; of two nodes started together with
 * one route exactly one stops. In process on the in-memory network, and as a process on loopback
 * (exit status 1 and the message).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { ConclaveError } from "../../src/errors.ts";
import type { Member } from "../../src/interfaces/member.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { type ClusterNode, startNode } from "../../src/node/node.ts";
import { captureLogger } from "../../src/testing/capture_logger.ts";
import { memoryChannel, REPO_ROOT } from "../../src/testing/memory_config.ts";
import { killAll, NodeProcess } from "../helpers/node_process.ts";
import { REPO } from "../helpers/runtime.ts";
import { loopbackClusterFile } from "../helpers/loopback_cluster.ts";
import { freePorts, removeDir, tempDir } from "../netns/netns.ts";

let networks = 0;
const APPS = [{ path: "/", module: "./examples/session-counter/app.ts", distributable: true }];

/** A node with an app (a node without apps has no sessions to route and skips the check). */
function memoryNode(network: string, jvmRoute: string) {
  return loadConfig({
    jvmRoute,
    apps: APPS,
    cluster: { className: "SimpleTcpCluster", channel: memoryChannel(network) },
  }, { baseDir: REPO_ROOT });
}

/** Resolves once `node` no longer sees `member`. */
function lost(node: ClusterNode, member: { id: { hex: string } }): Promise<void> {
  return new Promise((resolve) => {
    const gone = () => !node.members().some((m) => m.id.hex === member.id.hex);
    if (gone()) return resolve();
    node.channel.addMembershipListener({
      memberAdded() {},
      memberDisappeared: () => gone() && resolve(),
    });
  });
}

function isDuplicateNaming(member: Member) {
  return (error: unknown) => {
    assert.ok(error instanceof ConclaveError);
    assert.equal(error.code, "NODE_ERR_DUPLICATE_ROUTE");
    assert.ok(error.message.includes(member.name), `names ${member.name}: ${error.message}`);
    assert.ok(error.message.includes(member.id.hex), "names the member's uniqueId");
    return true;
  };
}

describe("a jvmRoute a live member uses (in process, memory network)", () => {
  const nodes: ClusterNode[] = [];
  after(async () => {
    for (const node of nodes) await node.stop();
  });

  it("the newcomer refuses to start and leaves; the running member keeps running and logs it", async () => {
    const network = `dup-${networks++}`;
    const capture = captureLogger();
    const first = await startNode(memoryNode(network, "e2"), { logger: capture.logger });
    nodes.push(first);
    const second = startNode(memoryNode(network, "e2"), { logger: silentLogger() });
    const self = first.channel.getLocalMember();
    await assert.rejects(second, isDuplicateNaming(self));
    const newcomer = capture.lines.find((l) =>
      typeof l.msg === "string" && l.msg.startsWith("A member joined with this node's jvmRoute")
    );
    assert.ok(newcomer, "the running node logs the newcomer");
    await lost(first, { id: { hex: String(newcomer.uniqueId) } });
    assert.deepEqual(first.members(), [], "the newcomer left the cluster");
    // The running member still starts no quarrel with a node of another route.
    const other = await startNode(memoryNode(network, "e3"), { logger: silentLogger() });
    nodes.push(other);
    assert.deepEqual(other.members().map((m) => m.jvmRoute), ["e2"]);
  });

  it("of two nodes started at once with one route, exactly one runs: the lower uniqueId", async () => {
    const network = `dup-${networks++}`;
    const outcomes = await Promise.allSettled([
      startNode(memoryNode(network, "twin"), { logger: silentLogger() }),
      startNode(memoryNode(network, "twin"), { logger: silentLogger() }),
    ]);
    const running = outcomes.flatMap((o) => o.status === "fulfilled" ? [o.value] : []);
    nodes.push(...running);
    const refused = outcomes.flatMap((o) => o.status === "rejected" ? [o.reason] : []);
    assert.equal(running.length, 1, "one node runs");
    assert.equal(refused.length, 1, "one node refused");
    assert.equal((refused[0] as ConclaveError).code, "NODE_ERR_DUPLICATE_ROUTE");
    const runner = running[0].uniqueId.hex;
    const loser = /uniqueId ([0-9a-f]{32})/.exec((refused[0] as Error).message)?.[1];
    assert.equal(loser, runner, "the refused node names the one that runs");
  });
});

describe("a jvmRoute a live member uses (node processes, loopback)", () => {
  let dir: string | undefined;
  after(async () => {
    await killAll();
    await removeDir(dir);
  });

  it("the second process exits 1 with NODE_ERR_DUPLICATE_ROUTE naming the member", {
    timeout: 60_000,
  }, async () => {
    dir = await tempDir("dup-route");
    const ports = await freePorts(2);
    const app = pathToFileURL(join(REPO, APPS[0].module)).href;
    const file = await loopbackClusterFile(dir, ports, {
      top: { http: { host: "127.0.0.1", port: 0 }, apps: [{ ...APPS[0], module: app }] },
    });
    const first = new NodeProcess({ jvmRoute: "e2", config: file, receiverPort: ports[0] });
    await first.started();
    const second = new NodeProcess({ jvmRoute: "e2", config: file, receiverPort: ports[1] });
    assert.equal(await second.exited, 1, second.tail());
    assert.match(second.stderr, /NODE_ERR_DUPLICATE_ROUTE/);
    assert.ok(
      second.stderr.includes(`tcp://127.0.0.1:${ports[0]}`),
      `names the member: ${second.stderr}`,
    );
    assert.ok(!second.find((l) => l.msg === "Node started"), "never said it started");
    assert.ok(first.alive, "the member that held the route keeps running");
    await first.stop();
    assert.equal(first.exitCode, 0);
  });
});
