/**
 * One cluster of three processes on 127.0.0.1: a Node, a Deno and a Bun node, started from one
 * configuration file with `node.ts`. With static and with multicast membership: the cluster forms,
 * stays formed while idle, notices a killed node, and a node that stops gracefully leaves.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  added,
  disappeared,
  killAll,
  type LogLine,
  NodeProcess,
  started,
  stopped,
} from "../helpers/node_process.ts";
import { type RuntimeName, RUNTIMES } from "../helpers/runtime.ts";
import {
  clusterConfig,
  freePorts,
  randomPort,
  randomSecret,
  removeDir,
  tempDir,
  writeJson,
} from "../netns/netns.ts";

const FREQUENCY = 500;
const DROP_TIME = 3000;
/** How long the idle cluster is watched: every member missed this long would have expired. */
const IDLE_WINDOW = DROP_TIME + 2 * FREQUENCY;

type Membership = "static" | "multicast";

function membershipBlock(kind: Membership, ports: number[], secret: string) {
  const timing = { frequency: FREQUENCY, dropTime: DROP_TIME, secret };
  if (kind === "static") {
    return {
      className: "StaticMembershipService",
      members: ports.map((port) => ({ host: "127.0.0.1", port })),
      ...timing,
    };
  }
  return {
    className: "McastService",
    address: "228.0.0.4",
    port: randomPort(),
    bind: "127.0.0.1",
    ttl: 1,
    ...timing,
  };
}

describe("a cluster of a Node, a Deno and a Bun process on loopback", () => {
  const dirs: string[] = [];

  after(async () => {
    await killAll();
    for (const dir of dirs) await removeDir(dir);
  });

  for (const kind of ["static", "multicast"] as const) {
    it(
      `${kind} membership: forms, stays formed, notices a killed node, sees a graceful leave`,
      { timeout: 50_000 },
      async () => {
        const dir = await tempDir(`mixed-${kind}`);
        dirs.push(dir);
        try {
          await scenario(kind, dir);
        } finally {
          await killAll(); // what a failure left running
        }
      },
    );
  }
});

async function scenario(kind: Membership, dir: string): Promise<void> {
  // Three nodes and a witness that comes and goes; only the three are listed.
  const [nodePort, denoPort, bunPort, witnessPort] = await freePorts(4);
  const config = await writeJson(
    dir,
    "cluster.json",
    clusterConfig(
      membershipBlock(kind, [nodePort, denoPort, bunPort], randomSecret()),
      "127.0.0.1",
    ),
  );
  const start = (runtime: RuntimeName, jvmRoute: string, receiverPort: number) =>
    new NodeProcess({ runtime, jvmRoute, config, receiverPort });

  const node = start("node", "on-node", nodePort);
  const deno = start("deno", "on-deno", denoPort);
  const bun = start("bun", "on-bun", bunPort);
  const trio = [node, deno, bun];

  // Each process really runs on its runtime.
  for (const p of trio) {
    const line = await p.waitFor('"Node started"', started);
    assert.match(String(line.runtime), new RegExp(`^${p.runtime} \\d`), p.describe());
    assert.equal(
      line.receiver,
      `127.0.0.1:${p === node ? nodePort : p === deno ? denoPort : bunPort}`,
    );
  }

  // The cluster forms: each adds the other two.
  const joins: LogLine[] = await Promise.all(
    trio.flatMap((p) =>
      trio.filter((q) => q !== p).map((q) =>
        p.waitFor(`"Member added" for ${q.jvmRoute}`, added(q.jvmRoute))
      )
    ),
  );
  const formedAt = Math.max(...joins.map((l) => l.time));

  // It stays formed. The window is measured on the nodes' own log clocks, and marked by
  // events this test causes: a witness node joins and leaves gracefully, on each runtime
  // in turn, until the last "left" comes IDLE_WINDOW after the cluster formed. A cycle
  // takes 0.2 s (Bun) to 0.7 s (Node), so this takes about ten.
  let seenUntil = formedAt;
  const deadline = Date.now() + 30_000;
  for (let cycle = 0; seenUntil - formedAt < IDLE_WINDOW; cycle++) {
    assert.ok(
      Date.now() < deadline,
      `${cycle} witness cycles in 30 s: the window is not covered`,
    );
    const witness = start(RUNTIMES[cycle % 3], `witness${cycle + 1}`, witnessPort);
    await witness.waitFor('"Node started"', started);
    await Promise.all(
      trio.map((p) => p.waitFor(`"Member added" for ${witness.jvmRoute}`, added(witness.jvmRoute))),
    );
    witness.signal("SIGTERM");
    const lefts = await Promise.all(
      trio.map((p) =>
        p.waitFor(
          `"Member disappeared" for ${witness.jvmRoute}`,
          disappeared(witness.jvmRoute),
        )
      ),
    );
    for (const line of lefts) assert.equal(line.reason, "left", "a stopped witness left");
    await witness.waitFor('"Node stopped"', stopped);
    await witness.exited;
    seenUntil = Math.min(...lefts.map((l) => l.time));
  }
  for (const p of trio) {
    const lost = p.lines.filter((l) =>
      l.msg === "Member disappeared" && !String(l.jvmRoute).startsWith("witness")
    );
    assert.deepEqual(lost, [], `${p.describe()} lost a member of the idle cluster`);
  }

  // A crash: the Bun node is killed; the other two notice.
  bun.signal("SIGKILL");
  for (const p of [node, deno]) {
    const line = await p.waitFor(
      `"Member disappeared" for ${bun.jvmRoute}`,
      disappeared(bun.jvmRoute),
    );
    assert.ok(
      line.reason === "unreachable" || line.reason === "expired",
      `${p.describe()}: reason ${line.reason} for a killed node`,
    );
  }
  await bun.exited;

  // A graceful stop: the Deno node leaves; the Node node is told so.
  const mark = node.mark();
  deno.signal("SIGTERM");
  const left = await node.waitFor(
    `"Member disappeared" for ${deno.jvmRoute}`,
    disappeared(deno.jvmRoute),
    { from: mark },
  );
  assert.equal(left.reason, "left");
  await deno.waitFor('"Node stopped"', stopped);

  node.signal("SIGTERM");
  await node.waitFor('"Node stopped"', stopped);
  await Promise.all(trio.map((p) => p.exited));
}
