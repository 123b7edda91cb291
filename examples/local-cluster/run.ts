/**
 * Three nodes of the session-counter app on loopback, sharing `cluster.json`: static membership
 * over TCP, DeltaManager sessions. Prints their URLs; open one, reload, then try another with
 * the same browser: the counter follows. Stops on Ctrl-C.
 *
 * Run: `npm run demo`
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type ClusterNode, loadConfigFile, startNode } from "../../src/mod.ts";

const file = fileURLToPath(new URL("./cluster.json", import.meta.url));
const nodes: ClusterNode[] = [];
for (const [i, jvmRoute] of ["node1", "node2", "node3"].entries()) {
  const config = await loadConfigFile(file, {
    env: process.env,
    overrides: { jvmRoute, httpPort: 8081 + i, receiverPort: 4001 + i, logLevel: "warn" },
  });
  nodes.push(await startNode(config, { host: true }));
}
const met = () => nodes.every((n) => n.members().length === nodes.length - 1);
await new Promise<void>((resolve) => {
  if (met()) resolve();
  for (const node of nodes) {
    node.channel.addMembershipListener({
      memberAdded: () => met() && resolve(),
      memberDisappeared() {},
    });
  }
});
for (const node of nodes) {
  const others = node.members().map((m) => m.jvmRoute).join(", ");
  console.log(`${node.jvmRoute}: ${node.url}/  (sees ${others})`);
}
console.log("Local cluster of 3 nodes is up. Press Ctrl-C to stop.");

const keepAlive = setInterval(() => {}, 1 << 30);
await new Promise((resolve) => {
  process.once("SIGINT", resolve);
  process.once("SIGTERM", resolve);
});
for (const node of nodes) await node.stop();
clearInterval(keepAlive);
console.log("Stopped.");
