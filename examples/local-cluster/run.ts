/**
 * Three nodes in one process on the in-memory network, sharing `cluster.json`; each prints the
 * members it sees. Stops on Ctrl-C. (The TCP transport will let the nodes be separate processes.)
 *
 * Run: `npm run demo`
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { setInterval } from "node:timers";
import { type ClusterNode, loadConfigFile, SendOptions, startNode } from "../../src/mod.ts";

const file = fileURLToPath(new URL("./cluster.json", import.meta.url));
const nodes: ClusterNode[] = [];
for (const jvmRoute of ["node1", "node2", "node3"]) {
  const config = await loadConfigFile(file, { env: process.env, overrides: { jvmRoute } });
  nodes.push(await startNode(config));
}

// Each node greets the others over the channel once they have met.
for (const node of nodes) {
  node.channel.addChannelListener({
    messageReceived: (value, from) =>
      console.log(`${node.jvmRoute} <- ${from.jvmRoute}: ${JSON.stringify(value)}`),
  });
}
const met = () => nodes.every((n) => n.members().length === nodes.length - 1);
await new Promise<void>((resolve) => {
  const check = setInterval(() => met() && (clearInterval(check), resolve()), 50);
});
for (const node of nodes) {
  const others = node.members().map((m) => `${m.jvmRoute} (${m.name})`).join(", ");
  console.log(`${node.jvmRoute} at ${node.channel.getLocalMember().name} sees: ${others}`);
  await node.channel.send(
    node.members(),
    { hello: "from " + node.jvmRoute },
    SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK,
  );
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
