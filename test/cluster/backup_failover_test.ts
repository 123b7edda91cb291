/**
 * BackupManager after a crash never serves a copy older than the one the current primary
 * acknowledged: 50 increments on n1, n1 crashes, n2 answers 51 and takes the session over, and
 * n3 (which may hold the older backup copy) answers 52, never 51 again. Replayed on fresh
 * clusters, so the backup falls on either survivor.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { waitFor } from "../../src/conformance/wait.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { ManualClock } from "../../src/kernel/manual_clock.ts";
import { type ClusterNode, createNode } from "../../src/node/node.ts";
import { appSessions, SessionRequest } from "../../src/session/request.ts";
import { memoryChannel } from "../../src/testing/memory_config.ts";
import { MemoryNetwork } from "../../plugins/membership/memory/network.ts";

const ROUNDS = 8;

/** One request on `node` that increments the session's counter, as a browser would send it. */
async function increment(node: ClusterNode, cookie?: string) {
  const request = new SessionRequest(
    appSessions(node, node.config.apps[0]),
    cookie === undefined ? undefined : `JSESSIONID=${cookie}`,
  );
  await request.prepare();
  const url = new URL("http://app/");
  const response = await request.run(url, () => new Request(url), () => {
    const session = request.getSession(true)!;
    const n = ((session.get("n") as number | undefined) ?? 0) + 1;
    session.set("n", n);
    return Promise.resolve(new Response(String(n)));
  });
  const set = request.setCookie();
  return {
    n: Number(await response.text()),
    cookie: set ? set.split(";")[0].split("=")[1] : cookie,
  };
}

describe("BackupManager failover", () => {
  const nodes: ClusterNode[] = [];
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.stop();
  });

  it(`never serves a copy older than what the new primary acknowledged (${ROUNDS} rounds)`, {
    timeout: 120_000,
  }, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const clock = new ManualClock();
      const network = `backup-failover-${UniqueId.random().hex}`;
      for (const route of ["n1", "n2", "n3"]) {
        const node = await createNode(
          loadConfig({
            jvmRoute: route,
            apps: [{ path: "/", distributable: true }],
            cluster: {
              className: "SimpleTcpCluster",
              channelSendOptions: 6,
              manager: { className: "BackupManager" },
              // Heartbeats every 100 ms: a node starts after 2 of them (real time), not 2 x 500 ms.
              channel: {
                ...memoryChannel(network),
                membership: {
                  className: "MemoryMembership",
                  network,
                  frequency: 100,
                  dropTime: 600,
                },
              },
            },
          }),
          { logger: silentLogger(), clock },
        );
        await node.start();
        nodes.push(node);
      }
      const [n1, n2, n3] = nodes;
      await waitFor(clock, () => nodes.every((n) => n.members().length === 2), "three members");

      let step = await increment(n1);
      for (let i = 1; i < 50; i++) step = await increment(n1, step.cookie);
      assert.equal(step.n, 50);
      assert.match(step.cookie ?? "", /\.n1$/);

      // n1 crashes: cut off without a goodbye, dropped by the others after dropTime.
      MemoryNetwork.named(network).isolate(n1.channel.getLocalMember().port);
      await waitFor(clock, () => [n2, n3].every((n) => n.members().length === 1), "n1's drop");

      const on2 = await increment(n2, step.cookie);
      assert.equal(on2.n, 51, `round ${round}: n2 carries on`);
      assert.match(on2.cookie ?? "", /\.n2$/, "rebound to n2");
      const on3 = await increment(n3, on2.cookie);
      assert.equal(
        on3.n,
        52,
        `round ${round}: n3 serves n2's acknowledged write, not its old copy`,
      );
      assert.equal((await increment(n2, on3.cookie)).n, 53, `round ${round}: and back on n2`);
      for (const node of nodes.splice(0)) await node.stop();
    }
  });
});
