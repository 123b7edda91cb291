/**
 * The `conclave` command: `start` (the default) runs one node until SIGINT or SIGTERM; `certs`
 * creates a cluster CA and node certificates; `status` prints a node's view of the cluster;
 * `convert` turns a Tomcat server.xml `<Cluster>` into cluster.json.
 *
 * @module
 */
import { setInterval } from "node:timers";
import { loadConfigFile } from "../kernel/config/load.ts";
import { ConclaveError, exitCodeFor } from "../errors.ts";
import { startNode } from "../node/node.ts";
import { parseStartArgs, START_USAGE } from "./args.ts";

const COMMANDS = ["start", "certs", "status", "convert"];

/**
 * Runs the command line; resolves to the exit status: 0 after a clean stop (or `certs` done), 2 for
 * a bad command line or configuration, 1 for any other failure.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const args = argv[0] !== undefined && !argv[0].startsWith("-") ? argv.slice(1) : argv;
  const command = argv[0] !== undefined && !argv[0].startsWith("-") ? argv[0] : "start";
  if (!COMMANDS.includes(command)) {
    report(
      new ConclaveError(
        "CLI_ERR_BAD_FLAG",
        `Unknown command "${command}": expected one of ${COMMANDS.join(", ")}`,
      ),
    );
    return 2;
  }
  if (command === "convert") {
    try {
      const { convertCommand } = await import("./convert.ts");
      return await convertCommand(args);
    } catch (error) {
      report(error);
      return exitCodeFor(error);
    }
  }
  if (command === "status") {
    try {
      const { statusCommand } = await import("./status.ts");
      return await statusCommand(args);
    } catch (error) {
      report(error);
      return exitCodeFor(error);
    }
  }
  if (command === "certs") {
    try {
      // Loaded only here: @peculiar/x509 needs the global Reflect polyfill, which `start` should not carry.
      const { certsCommand } = await import("./certs.ts");
      return await certsCommand(args);
    } catch (error) {
      report(error);
      return exitCodeFor(error);
    }
  }
  // Listen before starting: a signal that comes as "Node started" is logged must not be lost.
  const stopSignal = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  let node;
  try {
    const parsed = parseStartArgs(args);
    if (parsed.help) {
      console.log(START_USAGE);
      return 0;
    }
    const config = await loadConfigFile(parsed.config!, {
      env: process.env,
      overrides: parsed.overrides,
    });
    node = await startNode(config, { host: true });
  } catch (error) {
    report(error);
    return exitCodeFor(error);
  }
  // In-memory plugins hold no socket: keep the process alive until a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const signal = await stopSignal;
  node.logger.info({ signal }, "Node stopping");
  await node.stop();
  node.logger.info({ signal }, "Node stopped");
  clearInterval(keepAlive);
  return 0;
}

/** One readable line on stderr, with the code and, for config errors, where. */
function report(error: unknown): void {
  if (error instanceof ConclaveError) {
    const cause =
      error.cause instanceof Error && !error.message.includes(error.cause.message.split("\n")[0])
        ? `\n  cause: ${error.cause.message.split("\n")[0]}`
        : "";
    console.error(`conclave: ${error.message} [${error.code}]${cause}`);
  } else {
    console.error(
      `conclave: ${error instanceof Error ? error.stack ?? error.message : String(error)}`,
    );
  }
}
