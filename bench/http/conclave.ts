/**
 * The Conclave set-up of `bench/http.ts`: nodes (three by default) of `node.ts` in host mode on one runtime,
 * from one generated configuration, and a node restarted or joining later.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { NodeProcess } from "../../test/helpers/node_process.ts";
import { installedVersion } from "../../test/helpers/runtime.ts";
import { loopbackChannel } from "../../src/testing/loopback_channel.ts";
import type { Runtime } from "./settings.ts";
import { run, type Server, type SetUp, START_TIMEOUT, waitAdded, waitLine } from "./setup.ts";
import { freePort } from "./util.ts";
import { benchFile } from "./compiled.ts";

/** The cluster's configuration; the app and manager modules are `runtime`'s (`compiled.ts`). */
export function clusterConfig(
  runtime: Runtime,
  receivers: number[],
  sendOptions: string,
  waitForMembers: number,
) {
  return {
    jvmRoute: "n1",
    logLevel: "info",
    http: { host: "127.0.0.1", port: 0 },
    apps: [{
      path: "/",
      module: benchFile(runtime, "bench/http/app.ts"),
      distributable: true,
    }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: sendOptions,
      manager: { className: benchFile(runtime, "bench/http/manager.ts"), waitForMembers },
      channel: loopbackChannel(receivers, "bench-http-secret"),
      valves: [{ className: "ReplicationValve" }, { className: "JvmRouteBinderValve" }],
    },
  };
}

export function startConclaveNode(
  setUp: SetUp,
  runtime: Runtime,
  name: string,
  config: string,
  ports: {
    http: number;
    receiver: number;
  },
  nodeFlags?: readonly string[],
): NodeProcess {
  return new NodeProcess({
    name,
    runtime,
    exposeGc: true,
    nodeFlags,
    entry: benchFile(runtime, "node.ts"),
    config,
    jvmRoute: name,
    httpPort: ports.http,
    receiverPort: ports.receiver,
    logFile: join(run.workDir, `${setUp.id.replaceAll("/", "-")}-${name}-${Date.now()}.log`),
  });
}

/**
 * Starts a cluster of `nodes` nodes. `nodeFlags`: more flags for Node nodes (`--cpu-prof`, for
 * `bench/http_profile.ts`).
 */
export async function startConclave(
  runtime: Runtime,
  sendOptions: string,
  nodeFlags?: readonly string[],
  nodes = 3,
): Promise<SetUp> {
  const id = `conclave/${runtime}/${sendOptions === "async" ? "async" : "sync"}`;
  const http: number[] = [];
  const receivers: number[] = [];
  for (let i = 0; i < nodes; i++) {
    http.push(await freePort());
    receivers.push(await freePort());
  }
  const configFile = join(run.workDir, `${id.replaceAll("/", "-")}.json`);
  // The nodes list each other; a joining node lists them too and is not listed itself.
  writeFileSync(
    configFile,
    JSON.stringify(clusterConfig(runtime, receivers, sendOptions, 1500), null, 2),
  );
  const setUp: SetUp = {
    id,
    kind: "conclave",
    runtime,
    version: installedVersion(runtime) ?? "?",
    sendOptions,
    servers: [],
    others: [],
    cookieName: "JSESSIONID",
    configFile,
  };
  // One after the other: a node whose manager has not started yet ignores a joiner's request
  // for the state, and the joiner waits stateTransferTimeout (reported as a product problem).
  for (let i = 0; i < nodes; i++) {
    const ports = { http: http[i], receiver: receivers[i] };
    const server: Server = {
      name: `n${i + 1}`,
      httpPort: http[i],
      receiverPort: receivers[i],
      proc: startConclaveNode(setUp, runtime, `n${i + 1}`, configFile, ports, nodeFlags),
      pool: [],
    };
    setUp.servers.push(server);
    await waitLine(server.proc, "Node started", START_TIMEOUT);
  }
  await Promise.all(
    setUp.servers.flatMap((s) =>
      setUp.servers.filter((o) => o !== s).map((o) => waitAdded(s.proc, o.name, 0))
    ),
  );
  return setUp;
}

/** Kills (if needed) and restarts server `index` of a Conclave set-up, waits until it joined. */
export async function restartConclaveNode(setUp: SetUp, index: number): Promise<number> {
  const server = setUp.servers[index];
  const others = setUp.servers.filter((s) => s !== server);
  const marks = others.map((s) => s.proc.mark());
  const t0 = Date.now();
  server.proc = startConclaveNode(
    setUp,
    setUp.runtime as Runtime,
    server.name,
    setUp.configFile!,
    { http: server.httpPort, receiver: server.receiverPort },
  );
  await waitLine(server.proc, "Node started", START_TIMEOUT);
  await Promise.all([
    ...others.map((s, i) => waitAdded(s.proc, server.name, marks[i])),
    ...others.map((s) => waitAdded(server.proc, s.name, 0)),
  ]);
  return Date.now() - t0;
}
