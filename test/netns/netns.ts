/**
 * Helpers for tests that run real nodes as processes (started with `test/helpers/node_process.ts`,
 * optionally inside a network namespace): configuration files, free ports, and a small network of
 * namespaces that the test creates and removes.
 *
 * The network follows the runtime probe (section 6): one namespace holds bridge `br0`; each host
 * is a namespace joined to it by a veth pair made between the two namespaces, so the root namespace
 * gets no new link and no address. Host N has `lo` up and 10.200.0.N/24 on its `eth0`.
 *
 * Every namespace made here is deleted, by the test's `after()` and, should the test process end
 * first, by an exit handler.
 *
 * @module
 */
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { REPO } from "../helpers/runtime.ts";

/** A fresh folder under `.conclave-tmp/` (gitignored). */
export async function tempDir(prefix: string): Promise<string> {
  const dir = join(REPO, ".conclave-tmp", `${prefix}-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Removes a folder made by {@link tempDir}. */
export function removeDir(dir: string | undefined): Promise<void> {
  return dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve();
}

/** Writes `content` as JSON to `dir/name`; returns the path. */
export async function writeJson(dir: string, name: string, content: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(content, null, 2));
  return file;
}

/** A random secret for a cluster's membership, which also keeps other tests' heartbeats out. */
export function randomSecret(): string {
  return randomBytes(16).toString("hex");
}

export { freePorts, randomPort } from "../helpers/ports.ts";

/**
 * A cluster configuration whose receiver listens on `address` (the port comes from
 * `--receiver-port`), with `membership`, TcpFailureDetector and MessageDispatchInterceptor.
 */
export function clusterConfig(membership: Record<string, unknown>, address: string): unknown {
  return {
    cluster: {
      className: "SimpleTcpCluster",
      channel: {
        className: "GroupChannel",
        membership,
        receiver: { className: "NioReceiver", address, port: 4000, autoBind: 1 },
        sender: { className: "ReplicationTransmitter" },
        interceptors: [
          { className: "TcpFailureDetector" },
          { className: "MessageDispatchInterceptor" },
        ],
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Network namespaces

/** Runs a command; resolves with its stdout, rejects with its stderr. */
export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${command} ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
      } else resolve(stdout);
    });
  });
}

function runSync(command: string, args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.error) return { ok: false, output: result.error.message };
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() };
}

/**
 * Why namespace tests cannot run here (printed as the skip reason), or undefined when they can:
 * they need root, `ip` and `iptables`, and a working `ip netns add`.
 */
export function netnsUnavailable(): string | undefined {
  const id = runSync("id", ["-u"]);
  if (!id.ok) return `cannot run "id -u": ${id.output}`;
  if (id.output !== "0") return `needs root (id -u is ${id.output})`;
  if (!runSync("ip", ["-V"]).ok) return "ip (Debian package iproute2) is not installed";
  if (!runSync("iptables", ["--version"]).ok) return "iptables is not installed";
  const probe = `cnc-probe-${randomBytes(3).toString("hex")}`;
  const add = runSync("ip", ["netns", "add", probe]);
  if (!add.ok) return `"ip netns add" fails here: ${add.output}`;
  runSync("ip", ["netns", "del", probe]);
  return undefined;
}

const namespaces = new Set<string>();
let exitHandler = false;

/** The last resort when the test process ends before its after() ran: delete, by name. */
function cleanUpOnExit(): void {
  if (exitHandler) return;
  exitHandler = true;
  process.once("exit", () => deleteNamespaces(namespaces));
}

/** Deletes namespaces made here, at once and synchronously (for exit handlers too). */
function deleteNamespaces(names: Iterable<string>): void {
  for (const name of [...names]) {
    runSync("ip", ["netns", "del", name]);
    namespaces.delete(name);
  }
}

/** Hosts in network namespaces, on one bridge. */
export interface Hosts {
  /** The hosts' namespace names, h1 first. */
  readonly hosts: readonly string[];
  /** The namespace holding the bridge. */
  readonly bridge: string;
  /** 10.200.0.1, 10.200.0.2, ... */
  readonly addresses: readonly string[];
  /** Runs `command args` inside host `index`'s namespace. */
  exec(index: number, command: string, args: readonly string[]): Promise<string>;
  /** Deletes every namespace (and so every link and address) of this network; idempotent. */
  destroy(): void;
}

/** Creates `count` hosts (namespaces `cnc-hN-<rand>`) on a bridge (namespace `cnc-br-<rand>`). */
export async function createHosts(count: number): Promise<Hosts> {
  cleanUpOnExit();
  const tag = randomBytes(3).toString("hex");
  const bridge = `cnc-br-${tag}`;
  const hosts = Array.from({ length: count }, (_, i) => `cnc-h${i + 1}-${tag}`);
  const addresses = hosts.map((_, i) => `10.200.0.${i + 1}`);
  const mine: string[] = [];
  const ip = (...args: string[]) => run("ip", args);
  const add = async (name: string) => {
    await ip("netns", "add", name);
    namespaces.add(name);
    mine.push(name);
    await ip("-n", name, "link", "set", "lo", "up");
  };
  try {
    await add(bridge);
    await ip("-n", bridge, "link", "add", "br0", "type", "bridge");
    // Flood multicast to every port: no IGMP querier runs on this bridge.
    await ip("-n", bridge, "link", "set", "br0", "type", "bridge", "mcast_snooping", "0");
    await ip("-n", bridge, "link", "set", "br0", "up");
    for (const [i, host] of hosts.entries()) {
      await add(host);
      const port = `vh${i + 1}`;
      // Made inside the bridge's namespace with its peer placed in the host: the root
      // namespace never sees either end.
      await ip(
        "-n",
        bridge,
        "link",
        "add",
        port,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        host,
      );
      await ip("-n", bridge, "link", "set", port, "master", "br0");
      await ip("-n", bridge, "link", "set", port, "up");
      await ip("-n", host, "addr", "add", `${addresses[i]}/24`, "dev", "eth0");
      await ip("-n", host, "link", "set", "eth0", "up");
    }
  } catch (error) {
    deleteNamespaces(mine);
    throw error;
  }
  return {
    hosts,
    bridge,
    addresses,
    exec: (index, command, args) => run("ip", ["netns", "exec", hosts[index], command, ...args]),
    destroy: () => deleteNamespaces(mine),
  };
}
