/**
 * The `conclave` command: `start` (the default) runs one node until SIGINT or SIGTERM; `check`
 * verifies a configuration without starting anything; `certs` creates a cluster CA and node
 * certificates; `status` prints a node's view of the cluster; `convert` turns a Tomcat server.xml
 * `<Cluster>` into cluster.json.
 *
 * @module
 */
import { setInterval } from "node:timers";
import { loadConfigFile } from "../kernel/config/load.ts";
import { ConclaveError, exitCodeFor } from "../errors.ts";
import { startNode } from "../node/node.ts";
import { parseStartArgs, START_USAGE } from "./args.ts";
import { checkBeforeStart } from "./check.ts";
import { APPS_EXAMPLE, packageVersion, USAGE } from "./usage.ts";

type Command = (argv: readonly string[]) => Promise<number>;

/** The commands besides `start`, each loaded only when run. */
const OTHER_COMMANDS: Record<string, () => Promise<Command>> = {
  check: async () => (await import("./check_command.ts")).checkCommand,
  // @peculiar/x509 needs the global Reflect polyfill, which `start` should not carry.
  certs: async () => (await import("./certs.ts")).certsCommand,
  status: async () => (await import("./status.ts")).statusCommand,
  convert: async () => (await import("./convert.ts")).convertCommand,
};

/** The commands, in the order `--help` lists them. */
export const COMMANDS = ["start", ...Object.keys(OTHER_COMMANDS)];

/**
 * Runs the command line; resolves to the exit status: 0 after a clean stop (or `certs` done), 2 for
 * a bad command line or configuration, 1 for any other failure.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    // As git and npm do: the usage, on stderr since nothing was done.
    console.error(USAGE);
    return 2;
  }
  if (first === "--help" || first === "-h") {
    console.log(USAGE);
    return 0;
  }
  if (first === "--version" || first === "-v") {
    console.log(packageVersion());
    return 0;
  }
  const args = first.startsWith("-") ? argv : argv.slice(1);
  const command = first.startsWith("-") ? "start" : first;
  if (!COMMANDS.includes(command)) {
    report(
      new ConclaveError(
        "CLI_ERR_BAD_FLAG",
        `Unknown command "${command}": expected one of ${COMMANDS.join(", ")}`,
      ),
    );
    return 2;
  }
  const load = Object.hasOwn(OTHER_COMMANDS, command) ? OTHER_COMMANDS[command] : undefined;
  if (load !== undefined) {
    try {
      return await (await load())(args);
    } catch (error) {
      report(error);
      return exitCodeFor(error);
    }
  }
  // Listen before starting: a signal that comes as "Node started" is logged must not be lost.
  // The listeners stay: a second signal (the bin forwards one a terminal also sends) must not
  // kill the node in the middle of leaving the cluster.
  const stopSignal = new Promise<string>((resolve) => {
    process.on("SIGINT", () => resolve("SIGINT"));
    process.on("SIGTERM", () => resolve("SIGTERM"));
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
    // Everything that can fail on the configuration alone fails here, before the node joins.
    await checkBeforeStart(config, { host: true });
    node = await startNode(config, { host: true });
    if (config.apps.length === 0) {
      node.logger.warn(
        { file: config.file },
        `The configuration has no "apps": this node joins the cluster but serves nothing over HTTP and holds no sessions; add ${APPS_EXAMPLE}`,
      );
    }
  } catch (error) {
    report(error);
    return exitCodeFor(error);
  }
  // In-memory plugins hold no socket: keep the process alive until a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const signal = await stopSignal;
  node.logger.info({ signal }, "Node stopping");
  const timeout = node.config.shutdownTimeout;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), timeout));
  const outcome = await Promise.race([node.stop().then(() => "stopped" as const), late]);
  clearTimeout(timer);
  clearInterval(keepAlive);
  if (outcome === "late") {
    // An orchestrator kills the process soon after anyway: end while the exit status still says so.
    node.logger.error(
      { signal, shutdownTimeout: timeout },
      "Node not stopped within shutdownTimeout",
    );
    return 1;
  }
  node.logger.info({ signal }, "Node stopped");
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
    // A system error's code (EADDRINUSE, ENOENT) tells more than its stack; the stack on request.
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : String(error);
    console.error(`conclave: ${message}${typeof code === "string" ? ` [${code}]` : ""}`);
    if (process.env.CONCLAVE_DEBUG && error instanceof Error) console.error(error.stack);
  }
}
