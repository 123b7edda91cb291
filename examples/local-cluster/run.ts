/**
 * Three nodes of the session-counter app on loopback, sharing `cluster.json`: static membership
 * over TCP, DeltaManager sessions. Prints their URLs; open one, reload, then try another with
 * the same browser: the counter follows. Stops on Ctrl-C.
 *
 * Run: `npm run demo` (HTTP on 8081-8083 and receivers on 4001-4003 when they are free, else on
 * any free ports), or `npm run demo -- --port-base N` (HTTP on N to N+2, receivers on N+3 to N+5).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import net from "node:net";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ConclaveError, exitCodeFor } from "../../src/errors.ts";
import { parseJsonc } from "../../src/kernel/config/json.ts";
import { type ClusterNode, loadConfig, startNode } from "../../src/mod.ts";
import { isMain, untilStopped } from "../library_node.ts";

const FILE = fileURLToPath(new URL("./cluster.json", import.meta.url));
const ROUTES = ["node1", "node2", "node3"];

/** The ports of the three nodes. */
export interface DemoPorts {
  http: number[];
  receivers: number[];
}

/** Why `port` on 127.0.0.1 cannot be listened on now, or undefined when it can. */
function bindError(port: number): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (error) => resolve(error));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      server.close(() => resolve(undefined));
    });
  });
}

/** A port the system picks as free. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Six distinct ports the system picks as free. */
export async function freeDemoPorts(): Promise<DemoPorts> {
  const free: number[] = [];
  while (free.length < 6) {
    const port = await freePort();
    if (!free.includes(port)) free.push(port);
  }
  return { http: free.slice(0, 3), receivers: free.slice(3) };
}

const portsFrom = (http: number, receiver: number): DemoPorts => ({
  http: ROUTES.map((_, i) => http + i),
  receivers: ROUTES.map((_, i) => receiver + i),
});

/**
 * The ports: from `portBase` (every one must be free), else the documented ones when all are
 * free, else any free ports.
 *
 * @throws {NODE_ERR_START} naming a port of `portBase`'s range that is in use
 */
export async function choosePorts(portBase?: number): Promise<DemoPorts> {
  const wanted = portBase === undefined ? portsFrom(8081, 4001) : portsFrom(portBase, portBase + 3);
  const all = [...wanted.http, ...wanted.receivers];
  for (const port of all) {
    const error = await bindError(port);
    if (!error) continue;
    if (portBase === undefined) return await freeDemoPorts();
    throw new ConclaveError(
      "NODE_ERR_START",
      `Port ${port} (--port-base ${portBase} uses ${portBase} to ${portBase + 5}) cannot be ` +
        `listened on: ${(error as { code?: string }).code ?? error.message}; pick another base`,
      { cause: error },
    );
  }
  return wanted;
}

/** `cluster.json` for node `i`, its static member list on `ports.receivers`. */
async function demoConfig(i: number, ports: DemoPorts, logLevel: string) {
  const { value } = parseJsonc(await readFile(FILE, "utf8"), FILE);
  const root = value as { cluster: { channel: { membership: { members: { port: number }[] } } } };
  root.cluster.channel.membership.members.forEach((m, j) => m.port = ports.receivers[j]);
  return loadConfig(value, {
    baseDir: dirname(FILE),
    env: process.env,
    overrides: {
      jvmRoute: ROUTES[i],
      httpPort: ports.http[i],
      receiverPort: ports.receivers[i],
      logLevel: logLevel as "warn",
    },
  });
}

/**
 * Starts the three nodes and resolves once each sees the other two. A node that fails to start
 * stops the ones before it.
 */
export async function startDemo(ports: DemoPorts, logLevel = "warn"): Promise<ClusterNode[]> {
  const nodes: ClusterNode[] = [];
  try {
    for (const i of ROUTES.keys()) {
      nodes.push(await startNode(await demoConfig(i, ports, logLevel), { host: true }));
    }
  } catch (error) {
    for (const node of nodes) await node.stop();
    throw error;
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
  return nodes;
}

/** `--port-base N`, or nothing. */
function parseArgs(argv: readonly string[]): { portBase?: number } {
  if (argv.length === 0) return {};
  const [flag, value] = argv;
  const base = Number(value);
  if (
    flag !== "--port-base" || argv.length !== 2 || !Number.isInteger(base) || base < 1 ||
    base > 65530
  ) {
    throw new ConclaveError(
      "CLI_ERR_BAD_FLAG",
      `Usage: npm run demo [-- --port-base N], N from 1 to 65530 (got ${argv.join(" ")})`,
    );
  }
  return { portBase: base };
}

async function main(): Promise<number> {
  let nodes: ClusterNode[];
  try {
    const { portBase } = parseArgs(process.argv.slice(2));
    nodes = await startDemo(await choosePorts(portBase));
  } catch (error) {
    // The code and the message: a stack says nothing to someone trying the demo.
    const code = (error as { code?: string }).code;
    console.error(`demo: ${(error as Error).message ?? error}${code ? ` [${code}]` : ""}`);
    return exitCodeFor(error);
  }
  for (const node of nodes) {
    const others = node.members().map((m) => m.jvmRoute).join(", ");
    console.log(`${node.jvmRoute}: ${node.url}/  (sees ${others})`);
  }
  console.log("Local cluster of 3 nodes is up. Press Ctrl-C to stop.");
  const keepAlive = setInterval(() => {}, 1 << 30);
  await untilStopped();
  for (const node of nodes) await node.stop();
  clearInterval(keepAlive);
  console.log("Stopped.");
  return 0;
}

if (isMain(import.meta.url)) process.exitCode = await main();
