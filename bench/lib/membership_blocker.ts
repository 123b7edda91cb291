/**
 * A cluster node for `bench/membership.ts` whose event loop can be frozen on demand: it takes the
 * same flags as `node.ts` plus `--block-ms N` (default 2000), starts a node in code with
 * `startNode`, and on every SIGUSR2 busy-waits `N` ms in a synchronous loop (no timer, socket or
 * signal is served meanwhile), then logs `"Event loop blocked"` with the block's start and length.
 * SIGINT or SIGTERM stops the node gracefully, as `node.ts` does.
 *
 * ```sh
 * node --import tsx bench/lib/membership_blocker.ts --config FILE --jvm-route NAME --block-ms 2000
 * kill -USR2 <pid>   # freezes it for 2 s
 * ```
 *
 * @module
 */
import process from "node:process";
import { setInterval } from "node:timers";
import { parseStartArgs } from "../../src/cli/args.ts";
import { loadConfigFile } from "../../src/kernel/config/load.ts";
import { startNode } from "../../src/node/node.ts";

const argv = process.argv.slice(2);
const blockAt = argv.indexOf("--block-ms");
const blockMs = blockAt >= 0 ? Number(argv[blockAt + 1]) : 2000;
if (!Number.isFinite(blockMs) || blockMs < 0) {
  console.error("membership_blocker: --block-ms takes a number of ms");
  process.exit(2);
}
const startArgv = blockAt >= 0 ? [...argv.slice(0, blockAt), ...argv.slice(blockAt + 2)] : argv;
const parsed = parseStartArgs(startArgv);

const stopSignal = new Promise<string>((resolve) => {
  process.once("SIGINT", () => resolve("SIGINT"));
  process.once("SIGTERM", () => resolve("SIGTERM"));
});
const config = await loadConfigFile(parsed.config!, {
  env: process.env,
  overrides: parsed.overrides,
});
const node = await startNode(config);

process.on("SIGUSR2", () => {
  const start = Date.now();
  // Busy-wait: the thread is occupied as by a long synchronous computation.
  while (Date.now() - start < blockMs) { /* spin */ }
  node.logger.info({ start, blockedMs: Date.now() - start }, "Event loop blocked");
});

const keepAlive = setInterval(() => {}, 1 << 30);
const signal = await stopSignal;
node.logger.info({ signal }, "Node stopping");
await node.stop();
node.logger.info({ signal }, "Node stopped");
clearInterval(keepAlive);
process.exit(0);
