/**
 * The cost of host mode's request path alone, in one process: no socket, no HTTP parser. Two
 * nodes on the in-memory network serve `bench/http/app.ts` with ReplicationValve and
 * JvmRouteBinderValve (sync-ack replication to the other node, as in `bench/http.ts`); the bench
 * calls node 1's request handler directly with prebuilt requests and times `/read` and `/write`.
 * It prints µs per request (wall time, one request at a time, so the figure is CPU time; the
 * other node's part runs in the same process and is counted too).
 *
 * ```sh
 * node --import tsx bench/request_path.ts          # also: deno run -A ..., bun ...
 * node --import tsx bench/request_path.ts --seconds 5 --rounds 5
 * ```
 *
 * What it leaves out is the server's own part (parsing, the Request and Response objects of the
 * runtime's server, the write to the socket): `bench/http_profile.ts` shows that part on Node.
 *
 * @module
 */
import process from "node:process";
import { Host } from "../src/http/host.ts";
import type { RequestInfo } from "../src/http/serve.ts";
import { silentLogger } from "../src/kernel/log.ts";
import { createNode } from "../src/node/node.ts";
import { runtimeLabel } from "../src/runtime/detect.ts";
import { memoryChannel, REPO_ROOT, seesAMember } from "../src/testing/memory_config.ts";
import { loadConfig } from "../src/kernel/config/load.ts";
import { benchFlags } from "./lib/flags.ts";
import { median } from "./lib/stats.ts";

const SESSIONS = 100;

function config(network: string, jvmRoute: string) {
  return loadConfig({
    jvmRoute,
    logLevel: "warn",
    http: { host: "127.0.0.1", port: 0 },
    apps: [{ path: "/", module: "./bench/http/app.ts", distributable: true }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: "use_ack,sync",
      channel: memoryChannel(network),
      valves: [{ className: "ReplicationValve" }, { className: "JvmRouteBinderValve" }],
    },
  }, { baseDir: REPO_ROOT });
}

const info: RequestInfo = { remoteAddress: "127.0.0.1", rawTarget: "/" };

async function main(): Promise<void> {
  const flags = benchFlags(process.argv.slice(2));
  const seconds = flags.number("seconds", 2);
  const rounds = flags.number("rounds", 3);
  const network = `request-path-${crypto.randomUUID()}`;
  const nodes = await Promise.all(
    ["n1", "n2"].map((name) => createNode(config(network, name), { logger: silentLogger() })),
  );
  await Promise.all(nodes.map((n) => n.start()));
  await seesAMember(nodes[0]);
  const host = new Host(nodes[0], silentLogger());
  await host.start();
  try {
    const base = "http://127.0.0.1/";
    const cookies: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const response = await host.handle(new Request(`${base}write`), info);
      await response.text();
      const cookie = response.headers.get("set-cookie")?.split(";")[0];
      if (!cookie) throw new Error("/write made no session");
      cookies.push(cookie);
    }
    const requests = (path: string) =>
      cookies.map((cookie) => new Request(`${base}${path}`, { headers: { cookie } }));
    console.log(`request path of host mode on ${runtimeLabel()}: ${seconds} s x ${rounds} rounds`);
    for (const path of ["read", "write"]) {
      const prepared = requests(path);
      const target = { ...info, rawTarget: `/${path}` };
      const once = async (i: number) => {
        const response = await host.handle(prepared[i % SESSIONS], target);
        // The body is left unread: the servers write it out without a stream of its own.
        if (response.status !== 200) throw new Error(`/${path}: ${response.status}`);
      };
      for (let i = 0; i < 20_000; i++) await once(i); // warm-up
      const perRequest: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const started = performance.now();
        let n = 0;
        while (performance.now() - started < seconds * 1000) {
          for (let k = 0; k < 1000; k++) await once(n++);
        }
        perRequest.push((performance.now() - started) * 1000 / n);
      }
      console.log(
        `/${path}: ${median(perRequest).toFixed(2)} µs/request (rounds: ${
          perRequest.map((x) => x.toFixed(2)).join(", ")
        })`,
      );
    }
  } finally {
    await host.stop(1000);
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

await main();
