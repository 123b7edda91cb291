/**
 * Three hosts in network namespaces this test creates (10.200.0.1–3 on one bridge), one node on
 * each (Node on h1, Deno on h2, Bun on h3). With static and with multicast membership: all see each
 * other; a firewall inside h3 cuts it off and h1 and h2 drop it (and it drops them); lifted, the
 * members find each other again.
 *
 * Needs root, `ip` and `iptables` (Debian packages iproute2 and iptables; `.ci/run` installs
 * them); skipped, with the reason printed, where those are missing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  added,
  disappeared,
  killAll,
  NodeProcess,
  started,
  stopped,
} from "../helpers/node_process.ts";
import type { RuntimeName } from "../helpers/runtime.ts";
import {
  clusterConfig,
  createHosts,
  type Hosts,
  netnsUnavailable,
  randomSecret,
  removeDir,
  tempDir,
  writeJson,
} from "./netns.ts";

const skip = netnsUnavailable();
if (skip) console.log(`membership_netns_test.ts: skipped, ${skip}`);

const RECEIVER_PORT = 4000;
const RUNTIME_OF: RuntimeName[] = ["node", "deno", "bun"];
/** Each host's configuration reads its own address from the environment. */
const HOST_VAR = "CONCLAVE_TEST_HOST";

type Membership = "static" | "multicast";

function membershipBlock(kind: Membership, addresses: readonly string[], secret: string) {
  const timing = { frequency: 500, dropTime: 3000, secret };
  if (kind === "static") {
    return {
      className: "StaticMembershipService",
      members: addresses.map((host) => ({ host, port: RECEIVER_PORT })),
      ...timing,
    };
  }
  return {
    className: "McastService",
    address: "228.0.0.4",
    port: 45564,
    bind: `\${${HOST_VAR}}`, // the host's own 10.200.0.x
    ttl: 1,
    ...timing,
  };
}

describe("membership across three hosts in network namespaces", () => {
  const networks: Hosts[] = [];
  let dir: string | undefined;

  before(async () => {
    if (!skip) dir = await tempDir("netns");
  });

  after(async () => {
    await killAll();
    for (const net of networks) net.destroy();
    await removeDir(dir);
  });

  for (const kind of ["static", "multicast"] as const) {
    it(
      `${kind} membership: all see each other, a host cut off by a firewall is dropped and comes back`,
      { skip: skip ?? false, timeout: 50_000 },
      async () => {
        assert.ok(dir, "the test folder exists");
        // A network of its own: what a failed test leaves (nodes, rules) cannot touch the next.
        const net = await createHosts(3);
        networks.push(net);
        try {
          await scenario(kind, net, dir);
        } finally {
          await killAll();
          net.destroy();
        }
      },
    );
  }
});

async function scenario(kind: Membership, net: Hosts, dir: string): Promise<void> {
  const config = await writeJson(
    dir,
    `${kind}.json`,
    clusterConfig(
      membershipBlock(kind, net.addresses, randomSecret()),
      `\${${HOST_VAR}}`,
    ),
  );
  const nodes = net.hosts.map((netns, i) =>
    new NodeProcess({
      runtime: RUNTIME_OF[i],
      jvmRoute: `h${i + 1}`,
      config,
      receiverPort: RECEIVER_PORT,
      env: { [HOST_VAR]: net.addresses[i] },
      netns,
    })
  );
  const [h1, h2, h3] = nodes;
  const others = (p: NodeProcess) => nodes.filter((q) => q !== p);

  for (const [i, p] of nodes.entries()) {
    const line = await p.waitFor('"Node started"', started);
    assert.equal(line.receiver, `${net.addresses[i]}:${RECEIVER_PORT}`);
    assert.match(String(line.runtime), new RegExp(`^${p.runtime} \\d`));
  }

  // All see each other.
  await Promise.all(
    nodes.flatMap((p) =>
      others(p).map((q) => p.waitFor(`"Member added" for ${q.jvmRoute}`, added(q.jvmRoute)))
    ),
  );

  // Cut h3 off: everything in and out of its eth0 is dropped, multicast included.
  const cut = [["INPUT", "-i"], ["OUTPUT", "-o"]];
  const marks = nodes.map((p) => p.mark());
  for (const [chain, dev] of cut) {
    await net.exec(2, "iptables", ["-A", chain, dev, "eth0", "-j", "DROP"]);
  }
  const gone = await Promise.all([
    h1.waitFor('"Member disappeared" for h3', disappeared("h3"), { from: marks[0] }),
    h2.waitFor('"Member disappeared" for h3', disappeared("h3"), { from: marks[1] }),
    h3.waitFor('"Member disappeared" for h1', disappeared("h1"), { from: marks[2] }),
    h3.waitFor('"Member disappeared" for h2', disappeared("h2"), { from: marks[2] }),
  ]);
  for (const line of gone) {
    assert.ok(
      line.reason === "expired" || line.reason === "unreachable",
      `reason ${line.reason} for a host cut off`,
    );
  }
  // h1 and h2 still see each other.
  for (const [p, q] of [[h1, h2], [h2, h1]]) {
    assert.ok(
      !p.lines.some(disappeared(q.jvmRoute)),
      `${p.describe()} lost ${q.jvmRoute}, which was not cut off`,
    );
  }

  // Lift the rules: h3 is added again on h1 and h2, and they on h3.
  const healed = nodes.map((p) => p.mark());
  for (const [chain, dev] of cut) {
    await net.exec(2, "iptables", ["-D", chain, dev, "eth0", "-j", "DROP"]);
  }
  await Promise.all([
    h1.waitFor('"Member added" for h3 again', added("h3"), { from: healed[0] }),
    h2.waitFor('"Member added" for h3 again', added("h3"), { from: healed[1] }),
    h3.waitFor('"Member added" for h1 again', added("h1"), { from: healed[2] }),
    h3.waitFor('"Member added" for h2 again', added("h2"), { from: healed[2] }),
  ]);

  for (const p of nodes) p.signal("SIGTERM");
  await Promise.all(nodes.map((p) => p.waitFor('"Node stopped"', stopped)));
  await Promise.all(nodes.map((p) => p.exited));
}
