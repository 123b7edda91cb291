/**
 * The `start` command line, parsed with the runtime's `node:util` parseArgs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConclaveError } from "../errors.ts";
import type { ConfigOverrides } from "../kernel/config/types.ts";

export const START_USAGE = `Usage: conclave start --config FILE [options]
       node node.ts --config FILE [options]

Starts one cluster node.

Options:
  --config FILE        the cluster.json to load (required)
  --jvm-route NAME     this node's jvmRoute (session id suffix), overriding the file
  --http-port N        this node's HTTP port, overriding the file
  --receiver-port N    this node's receiver port, overriding the file
  --log-level LEVEL    trace, debug, info, warn, error, fatal or silent
  -h, --help           print this help

Every command: conclave --help`;

export const CHECK_USAGE = `Usage: conclave check --config FILE [options]

Loads and resolves the whole configuration as start would, without starting anything: every
className (used or not), app modules (imported), TLS files, and the ports start would bind.
Exits 0, or with the message and exit status start would give (2 for the configuration).

Options: the same as start's (conclave start --help).`;

/** A parsed `start` command line. */
export interface StartArgs {
  help: boolean;
  config?: string;
  overrides: ConfigOverrides;
}

/**
 * Parses the `start` flags.
 *
 * @throws {ConclaveError} CLI_ERR_BAD_FLAG for an unknown flag, a missing value or a bad number
 */
export function parseStartArgs(argv: readonly string[], verb = "start"): StartArgs {
  const values = parseFlags(argv, {
    config: { type: "string" },
    "jvm-route": { type: "string" },
    "http-port": { type: "string" },
    "receiver-port": { type: "string" },
    "log-level": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return { help: true, overrides: {} };
  if (typeof values.config !== "string" || values.config === "") {
    throw new ConclaveError("CLI_ERR_BAD_FLAG", `Cannot ${verb}: --config FILE is required`);
  }
  const overrides: ConfigOverrides = {};
  if (typeof values["jvm-route"] === "string") overrides.jvmRoute = values["jvm-route"];
  if (typeof values["log-level"] === "string") overrides.logLevel = values["log-level"];
  const httpPort = port(values["http-port"], "--http-port");
  if (httpPort !== undefined) overrides.httpPort = httpPort;
  const receiverPort = port(values["receiver-port"], "--receiver-port");
  if (receiverPort !== undefined) overrides.receiverPort = receiverPort;
  return { help: false, config: values.config, overrides };
}

/** Flag definitions as `node:util` `parseArgs` takes them. */
export type FlagOptions = Record<string, { type: "string" | "boolean"; short?: string }>;

/**
 * Parses flags strictly (no positionals).
 *
 * @throws {ConclaveError} CLI_ERR_BAD_FLAG for an unknown flag or a missing value
 */
export function parseFlags(
  argv: readonly string[],
  options: FlagOptions,
): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: [...argv], strict: true, allowPositionals: false, options }).values;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    throw new ConclaveError("CLI_ERR_BAD_FLAG", `Cannot parse the command line: ${detail}`, {
      cause,
    });
  }
}

function port(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined || typeof value === "boolean") return undefined;
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) {
    throw new ConclaveError(
      "CLI_ERR_BAD_FLAG",
      `Cannot use ${flag} ${JSON.stringify(value)}: expected a port number from 0 to 65535`,
    );
  }
  return Number(value);
}
