/**
 * Sessions of any size that `set` accepted travel: two 18 MB attributes in one session replicate
 * and reach a node that joins later, over TCP frames capped at `maxFrameSize` (32 MiB); an
 * attribute that no frame could carry is refused at `set` with SESSION_ERR_TOO_LARGE.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Manager } from "../../src/interfaces/manager.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { type ClusterNode, startNode } from "../../src/node/node.ts";
import { Session } from "../../src/session/session.ts";
import { seesAMember } from "../../src/testing/memory_config.ts";

const MB = 1024 * 1024;

function config(network: string, name: string) {
  return loadConfig({
    jvmRoute: name,
    apps: [{ path: "/", distributable: true }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: 6, // sync-ack: requestCompleted resolves once the others applied it
      channel: {
        className: "GroupChannel",
        membership: { className: "MemoryMembership", network },
        receiver: { className: "NioReceiver", address: "127.0.0.1", port: 0 },
        sender: { className: "ReplicationTransmitter" },
        interceptors: [{ className: "MessageDispatchInterceptor" }],
      },
    },
  });
}

const managerOf = (node: ClusterNode) => node.managers.get("/") as Manager;

describe("big sessions over TCP", () => {
  const network = `big-${UniqueId.random().hex}`;
  const nodes: ClusterNode[] = [];
  after(async () => {
    for (const node of nodes) await node.stop();
  });

  it(
    "replicate two 18 MB attributes and hand them to a joining node",
    { timeout: 60_000 },
    async () => {
      nodes.push(await startNode(config(network, "b1"), { logger: silentLogger() }));
      const second = await startNode(config(network, "b2"), { logger: silentLogger() });
      nodes.push(second);
      await seesAMember(second);
      const a = managerOf(nodes[0]);
      const record = a.createSession();
      const session = new Session(record, a, true);
      session.set("first", "a".repeat(18 * MB));
      session.set("second", new Uint8Array(18 * MB).fill(7));
      await a.requestCompleted(record.id);
      const copy = managerOf(second).findSession(record.id);
      assert.equal((copy?.attributes.get("first") as string)?.length, 18 * MB);
      assert.equal((copy?.attributes.get("second") as Uint8Array)?.byteLength, 18 * MB);

      const late = await startNode(config(network, "b3"), { logger: silentLogger() });
      nodes.push(late);
      const joined = managerOf(late).findSession(record.id);
      assert.equal((joined?.attributes.get("first") as string)?.length, 18 * MB);
      assert.equal((joined?.attributes.get("second") as Uint8Array)?.[18 * MB - 1], 7);
    },
  );

  it("refuses at set an attribute no frame could carry", () => {
    const a = managerOf(nodes[0]);
    const session = new Session(a.createSession(), a, true);
    assert.throws(
      () => session.set("huge", new Uint8Array(40 * MB)),
      (err: { code?: string; message?: string }) =>
        err.code === "SESSION_ERR_TOO_LARGE" && /"huge"/.test(err.message ?? ""),
    );
    assert.equal(session.get("huge"), undefined, "nothing stored");
  });
});
