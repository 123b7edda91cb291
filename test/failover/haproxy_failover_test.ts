/**
 * Failover through a real balancer: HAProxy on loopback, configured by
 * `examples/balancers/haproxy.cfg`, routes by the jvmRoute suffix of JSESSIONID to three nodes of
 * the session-counter app. A client increments its counter; the node it sticks to is killed with
 * SIGKILL; the next request must be served by another node with the session intact, its counter
 * continuing, and a cookie naming the new node. Each variant prints one summary line.
 *
 * Skipped, with the reason printed, when haproxy is not installed (`.ci/run` installs Debian's
 * package).
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { after, describe, it } from "node:test";
import { builtinPlugins } from "../../src/node/builtins.ts";
import {
  type Answer,
  Client,
  findHaproxy,
  runDir,
  type Runtime,
  startCluster,
  startHaproxy,
} from "./harness.ts";
import type { LoggedProcess } from "../helpers/node_process.ts";

const haproxy = findHaproxy();
const noHaproxy = haproxy
  ? undefined
  : "haproxy is not installed (apt-get install haproxy; .ci/run installs it)";
const backupBuilt = (await builtinPlugins()).some((p) => p.shortNames.includes("BackupManager"));
const noBackup = noHaproxy ?? (backupBuilt ? undefined : "BackupManager is not built yet");
// Deno and Bun do not print a skipped test's reason.
if (noHaproxy) console.log(`SKIP test/failover: ${noHaproxy}`);
else if (noBackup) console.log(`SKIP test/failover BackupManager variant: ${noBackup}`);

/** Acknowledged increments before the kill, and requests after it. */
const BEFORE = 30;
const AFTER = 10;
const SYNC = 6; // use_ack,sync
const ASYNC = 8;

interface Variant {
  label: string;
  runtimes: Runtime[];
  sendOptions: number;
  manager: string;
}

const everyProcess: LoggedProcess[] = [];

/** A haproxy httplog line's server and retries (`+N` when redispatched). */
function haproxyLine(line: string): { server: string; retries: string } {
  const m = / conclave\/(\S+) \S+ \d+ \d+ \S+ \S+ \S+ \d+\/\d+\/\d+\/\d+\/(\+?\d+) /.exec(line);
  assert.ok(m, `an HAProxy httplog line: ${line}`);
  return { server: m[1], retries: m[2] };
}

/** One GET with the request target exactly as given; resolves to the status code. */
function rawStatus(url: string, target: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${target} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n`);
    });
    let text = "";
    socket.on("data", (d) => text += d);
    socket.on("error", reject);
    socket.on("close", () => resolve(Number(text.split(" ")[1])));
  });
}

/** The shipped config lets visitors reach the probes and nothing else under /_conclave/. */
async function assertAdminDenied(url: string): Promise<void> {
  for (const probe of ["/_conclave/live", "/_conclave/ready"]) {
    assert.equal(await rawStatus(url, probe), 200, `${probe} through HAProxy`);
  }
  for (
    const target of [
      "/_conclave/status",
      "/_conclave/metrics",
      "/x/../_conclave/status",
      "//_conclave/status",
      "/%5fconclave/status",
      "/_CONCLAVE/status",
    ]
  ) {
    assert.equal(await rawStatus(url, target), 403, `${target} through HAProxy`);
  }
}

async function failover(variant: Variant): Promise<void> {
  const sync = variant.sendOptions === SYNC;
  const started: LoggedProcess[] = [];
  const dir = runDir(variant.label);
  try {
    const nodes = await startCluster({
      dir,
      runtimes: variant.runtimes,
      sendOptions: variant.sendOptions,
      manager: variant.manager,
      started,
    });
    everyProcess.push(...started);
    const balancer = await startHaproxy(haproxy!, dir, nodes, started);
    everyProcess.push(balancer.proc);
    await assertAdminDenied(balancer.url);
    const client = new Client(balancer.url);

    const before: Answer[] = [];
    for (let i = 0; i < BEFORE; i++) before.push(await client.increment());
    const stuck = before[0].node;
    const base = before[0].session.split(".")[0];
    assert.match(base, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      before.map((a) => a.node),
      before.map(() => stuck),
      "sticky: every request before the kill went to the node that created the session",
    );
    assert.deepEqual(before.map((a) => a.counter), before.map((_, i) => i + 1));
    assert.equal(client.cookie, `JSESSIONID=${base}.${stuck}`);

    const victim = nodes.find((n) => n.jvmRoute === stuck);
    assert.ok(victim, `the client sticks to one of the nodes, not ${stuck}`);
    const lastAcked = before[before.length - 1].counter;
    victim.proc.signal("SIGKILL");
    assert.equal(await victim.proc.exited, "SIGKILL");

    const later: Answer[] = [];
    for (let i = 0; i < AFTER; i++) later.push(await client.increment());
    const [first] = later;
    const successor = nodes.find((n) => n.jvmRoute === first.node);
    const sessionsLost = first.session.split(".")[0] === base ? 0 : 1;
    const incrementsLost = sessionsLost ? lastAcked : lastAcked + 1 - first.counter;
    const answers = [...before, ...later];
    const failovers = answers.filter((a, i) => i > 0 && a.node !== answers[i - 1].node).length;
    // The log line of the first answered request after the kill: which server, after how many
    // retries. A request before it may have failed at the client and been sent again: HAProxy
    // can close a keep-alive client connection whose server died, and the client's next request
    // on it then fails without reaching HAProxy (counted as unanswered).
    const routed = haproxyLine(
      await balancer.proc.waitForText(
        "the log line of the first answered request after the kill",
        (l) => l.includes(`"GET /?r=${first.request} `),
        30_000,
      ),
    );
    console.log(
      `failover ${variant.label}: ${client.requests} requests (${client.failed} unanswered` +
        `${client.failed ? `: ${client.failures.join("; ")}` : ""}), ` +
        `${failovers} failovers (${stuck} on ${victim.runtime} killed after ${lastAcked}, ` +
        `${first.node} on ${successor?.runtime} answered ${first.counter}; ` +
        `haproxy retries ${routed.retries}), ${sessionsLost} sessions lost, ` +
        `${incrementsLost} increments lost`,
    );

    assert.notEqual(first.node, stuck, "the first answer after the kill comes from another node");
    assert.ok(successor, `${first.node} is one of the cluster's nodes`);
    assert.equal(routed.server, first.node);
    assert.equal(sessionsLost, 0, "the session survived (same 32-hex base)");
    assert.equal(first.session, `${base}.${first.node}`, "the session id names the new node");
    assert.equal(
      first.setCookie?.split(";")[0],
      `JSESSIONID=${base}.${first.node}`,
      "the Set-Cookie names the new node's route",
    );
    if (sync) {
      assert.equal(first.counter, lastAcked + 1, "no acknowledged increment lost");
    } else {
      assert.ok(first.counter <= lastAcked + 1, "no increment counted twice");
    }
    assert.equal(failovers, 1);
    assert.deepEqual(
      later.map((a) => a.node),
      later.map(() => first.node),
      "sticky to the new node after the failover",
    );
    assert.deepEqual(later.map((a) => a.counter), later.map((_, i) => first.counter + i));
    assert.deepEqual(later.slice(1).map((a) => a.setCookie), later.slice(1).map(() => undefined));
    assert.equal(client.cookie, `JSESSIONID=${base}.${first.node}`);

    // Once HAProxy has marked the dead node DOWN, a request whose cookie still names it goes to a
    // live node at once: the use-server rule of a DOWN server is ignored, nothing is retried.
    await balancer.proc.waitForText(
      `HAProxy marking ${stuck} DOWN`,
      (l) => l.includes(`Server conclave/${stuck} is DOWN`),
      30_000,
    );
    const probe = crypto.randomUUID();
    // A cookie of an unknown session with the dead node's route: the answer names the node.
    const response = await fetch(`${balancer.url}/?probe=${probe}`, {
      headers: { cookie: `JSESSIONID=${"0".repeat(32)}.${stuck}`, accept: "application/json" },
    });
    assert.equal(response.status, 200);
    const status = await response.json() as { node: string };
    assert.notEqual(status.node, stuck);
    const probed = haproxyLine(
      await balancer.proc.waitForText(
        "the probe's log line",
        (l) => l.includes(`probe=${probe}`),
        30_000,
      ),
    );
    assert.deepEqual(probed, { server: status.node, retries: "0" });
  } catch (err) {
    console.error(`failover ${variant.label} failed; last output:`);
    for (const proc of started) console.error(proc.tail());
    throw err;
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

describe("failover through HAProxy, routing by the jvmRoute suffix", () => {
  after(() => Promise.all(everyProcess.map((p) => p.stop())));

  it(
    "DeltaManager, 3 Node nodes, use_ack,sync: another node serves the session, no acknowledged increment lost",
    { skip: noHaproxy, timeout: 40_000 },
    () =>
      failover({
        label: "node-sync",
        runtimes: ["node", "node", "node"],
        sendOptions: SYNC,
        manager: "DeltaManager",
      }),
  );

  it(
    "DeltaManager, 3 Node nodes, asynchronous: another node serves the session; lost increments are counted",
    { skip: noHaproxy, timeout: 40_000 },
    () =>
      failover({
        label: "node-async",
        runtimes: ["node", "node", "node"],
        sendOptions: ASYNC,
        manager: "DeltaManager",
      }),
  );

  it(
    "DeltaManager, a Node, a Deno and a Bun node, use_ack,sync: another node serves the session, no acknowledged increment lost",
    { skip: noHaproxy, timeout: 40_000 },
    () =>
      failover({
        label: "mixed-sync",
        runtimes: ["node", "deno", "bun"],
        sendOptions: SYNC,
        manager: "DeltaManager",
      }),
  );

  it(
    "BackupManager, 3 Node nodes, use_ack,sync: another node serves the session, no acknowledged increment lost",
    { skip: noBackup, timeout: 40_000 },
    () =>
      failover({
        label: "backup-sync",
        runtimes: ["node", "node", "node"],
        sendOptions: SYNC,
        manager: "BackupManager",
      }),
  );
});
