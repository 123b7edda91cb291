/**
 * SIGTERM drains a node process (SPEC section 6): `ready` turns 503, no new connection is
 * accepted, the request in flight is answered, and the process exits 0 within `shutdownTimeout`.
 * A BackupManager node drained while a client writes through every node (sync-ack) loses no
 * session and no acknowledged write: its copies are handed over before it leaves, so the cluster
 * survives losing a second node right after.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { disappeared, killAll, logged, NodeProcess } from "../helpers/node_process.ts";
import { REPO } from "../helpers/runtime.ts";
import { loopbackClusterFile } from "../helpers/loopback_cluster.ts";
import { freePorts, removeDir, tempDir } from "../netns/netns.ts";

const APP = pathToFileURL(join(REPO, "test/deploy/fixtures/drain_app.ts")).href;

interface Answer {
  status: number;
  body: string;
  cookie?: string;
}

/** One GET on a connection of its own (no keep-alive: a drained node takes no new one). */
function get(port: number, path: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path,
      agent: false,
      headers: { connection: "close", ...(cookie ? { cookie } : {}) },
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => body += d);
      res.on("error", reject);
      res.on("end", () => {
        const set = res.headers["set-cookie"]?.[0]?.split(";")[0];
        resolve({ status: res.statusCode ?? 0, body, ...(set ? { cookie: set } : {}) });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Nodes on loopback that serve the drain app with BackupManager and sync-ack replication. */
function backupCluster(dir: string, receivers: number[], top: Record<string, unknown>) {
  return loopbackClusterFile(dir, receivers, {
    top: {
      http: { host: "127.0.0.1", port: 0 },
      apps: [{ path: "/", module: APP, distributable: true }],
      ...top,
    },
    cluster: { channelSendOptions: 6, manager: { className: "BackupManager" } },
  });
}

describe("drain on SIGTERM (node processes)", () => {
  const dirs: string[] = [];
  after(async () => {
    await killAll();
    for (const dir of dirs) await removeDir(dir);
  });

  it("answers a slow request held open across SIGTERM and exits 0 within shutdownTimeout", {
    timeout: 60_000,
  }, async () => {
    const dir = await tempDir("drain-slow");
    dirs.push(dir);
    const [receiver, http, admin] = await freePorts(3);
    const shutdownTimeout = 8000;
    const file = await backupCluster(dir, [receiver], {
      shutdownTimeout,
      admin: { host: "127.0.0.1", port: admin },
    });
    const node = new NodeProcess({
      jvmRoute: "d1",
      config: file,
      receiverPort: receiver,
      httpPort: http,
    });
    await node.started();
    const slow = get(http, "/slow?ms=1500");
    await node.waitFor('"Slow request entered"', logged("Slow request entered"));
    const signalled = node.signal("SIGTERM");
    await node.waitFor('"Node stopping"', logged("Node stopping"));
    const ready = await get(admin, "/_conclave/ready");
    assert.deepEqual([ready.status, ready.body], [503, "draining"]);
    await assert.rejects(get(http, "/"), "no new connection while draining");
    const answer = await slow;
    assert.deepEqual([answer.status, answer.body], [200, "slow done"]);
    assert.equal(await node.exited, 0, node.tail());
    assert.ok(Date.now() - signalled < shutdownTimeout, "stopped within shutdownTimeout");
    const drained = node.find(logged("Drained"));
    assert.ok(drained, node.tail());
    assert.ok(Number(drained.inFlight) >= 1, "the slow request was in flight");
    assert.equal(drained.answered, drained.inFlight, "every request in flight was answered");
    assert.ok(node.find(logged("Node stopped")));
  });

  it("a BackupManager node drained under load loses no session and no acknowledged write", {
    timeout: 120_000,
  }, async () => {
    const dir = await tempDir("drain-load");
    dirs.push(dir);
    const ports = await freePorts(6);
    const receivers = ports.slice(0, 3);
    const https = ports.slice(3);
    const shutdownTimeout = 10_000;
    const file = await backupCluster(dir, receivers, { shutdownTimeout });
    const nodes = receivers.map((receiverPort, i) =>
      new NodeProcess({
        jvmRoute: `b${i}`,
        config: file,
        receiverPort,
        httpPort: https[i],
      })
    );
    await Promise.all(nodes.map((n) => n.started()));
    await Promise.all(
      nodes.map((n) =>
        Promise.all(
          nodes.filter((m) => m !== n).map((m) =>
            n.waitFor(`"Member added" ${m.jvmRoute}`, logged("Member added", m.jvmRoute))
          ),
        )
      ),
    );

    // Sessions made on every node; each client sticks to its node as a balancer would, and
    // moves to a surviving node when its own takes no connection.
    interface Client {
      node: number;
      cookie?: string;
      acked: number;
      /** Attempts since the last acknowledged write that got no answer (they may have counted). */
      unanswered: number;
      failures: number;
    }
    const clients: Client[] = Array.from(
      { length: 30 },
      (_, i) => ({ node: i % 3, acked: 0, unanswered: 0, failures: 0 }),
    );
    let drained = false;
    let total = 0;
    const waiters: { at: number; resolve: () => void }[] = [];
    const lost: string[] = [];
    async function write(c: Client): Promise<void> {
      for (let attempt = 0; attempt < 50; attempt++) {
        let answer: Answer;
        try {
          answer = await get(https[c.node], "/", c.cookie);
        } catch {
          c.unanswered++;
          c.failures++;
          if (drained || c.node === 0) c.node = 1 + (c.failures % 2);
          continue;
        }
        if (answer.status !== 200) {
          c.failures++;
          continue;
        }
        c.cookie ??= answer.cookie;
        const n = (JSON.parse(answer.body) as { n: number }).n;
        if (n <= c.acked || n > c.acked + 1 + c.unanswered) {
          lost.push(`${c.cookie}: acknowledged ${c.acked}, then ${n}`);
        }
        c.acked = n;
        c.unanswered = 0;
        total++;
        for (const w of waiters.filter((w) => total >= w.at)) w.resolve();
        return;
      }
      throw new Error(`no answer for ${c.cookie} in 50 attempts`);
    }
    const writes = (count: number) =>
      new Promise<void>((resolve) => waiters.push({ at: total + count, resolve }));
    let running = true;
    const loops = clients.map(async (c) => {
      while (running) await write(c);
    });

    await writes(clients.length * 3);
    // Slow requests in flight on b0 when it is told to stop, each writing its session.
    const from = nodes[0].mark();
    const slow = [0, 1, 2].map(() => get(https[0], "/slow?ms=800"));
    const entered = () => nodes[0].lines.slice(from).filter(logged("Slow request entered")).length;
    await nodes[0].waitFor("three slow requests entered", () => entered() >= slow.length, { from });
    const signalled = nodes[0].signal("SIGTERM");
    const exit = await nodes[0].exited;
    const stoppedAfter = Date.now() - signalled;
    drained = true;
    assert.equal(exit, 0, nodes[0].tail());
    const slowAnswers = await Promise.all(slow);
    assert.deepEqual(
      slowAnswers.map((a) => [a.status, a.body]),
      slow.map(() => [200, "slow done"]),
    );
    await writes(clients.length * 2);
    running = false;
    await Promise.all(loops);
    assert.deepEqual(lost, [], "no acknowledged write lost during the drain");

    // Every session kept two copies: the cluster loses b1 and b2 still has them all.
    nodes[1].signal("SIGKILL");
    await nodes[2].waitFor('"Member disappeared" b1', disappeared("b1"), { timeoutMs: 15_000 });
    let kept = 0;
    const missing: string[] = [];
    for (const c of clients) {
      const answer = await get(https[2], "/", c.cookie);
      const n = answer.status === 200 ? (JSON.parse(answer.body) as { n: number }).n : 0;
      if (n > c.acked && n <= c.acked + 1 + c.unanswered) kept++;
      else missing.push(`${c.cookie}: acknowledged ${c.acked}, then ${answer.status} ${n}`);
    }
    for (const answer of slowAnswers) {
      const after = await get(https[2], "/", answer.cookie);
      const body = JSON.parse(after.body) as { slow: boolean };
      if (after.status === 200 && body.slow) kept++;
      else missing.push(`${answer.cookie}: the slow request's write is gone`);
    }
    assert.deepEqual(missing, [], "every session kept every acknowledged write");
    const figures = {
      inFlight: nodes[0].find(logged("Drained"))?.inFlight,
      answered: nodes[0].find(logged("Drained"))?.answered,
      handedOver: nodes[0].find(logged("Session copies handed over before leaving"))?.sessions,
      sessionsKept: `${kept}/${clients.length + slow.length}`,
      writesAcknowledged: total,
      stopMs: stoppedAfter,
    };
    console.log(`drain figures: ${JSON.stringify(figures)}`);
    assert.ok(stoppedAfter < shutdownTimeout, `stopped in ${stoppedAfter} ms`);
    assert.equal(figures.answered, figures.inFlight, "every request in flight answered");
    assert.ok(Number(figures.handedOver) > 0, "b0 held copies and handed them over");
    await nodes[2].stop();
  });
});
