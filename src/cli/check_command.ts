/**
 * `conclave check --config FILE`: everything `start` verifies before it joins the cluster, and
 * nothing more: no socket stays open, no node starts.
 *
 * @module
 */
import type { Logger } from "../interfaces/logger.ts";
import { loadConfigFile } from "../kernel/config/load.ts";
import { createNode } from "../node/node.ts";
import { closest } from "../kernel/suggest.ts";
import { CHECK_USAGE, parseStartArgs } from "./args.ts";
import { checkBeforeStart } from "./check.ts";

/**
 * Runs the command; resolves to 0 when `start` would get past its checks. Warnings go to stderr.
 *
 * @throws {ConclaveError} what `start` would throw: exit status 2 for the configuration, 1 for a
 * port in use
 */
export async function checkCommand(
  argv: readonly string[],
  print: (line: string) => void = console.log,
  warn: (line: string) => void = console.error,
): Promise<number> {
  const parsed = parseStartArgs(argv, "check");
  if (parsed.help) {
    print(CHECK_USAGE);
    return 0;
  }
  const config = await loadConfigFile(parsed.config!, {
    env: process.env,
    overrides: parsed.overrides,
  });
  // Builds every plugin the node would use (its attributes and TLS files), starting none.
  const node = await createNode(config, { logger: warningsTo(warn) });
  const unused = await checkBeforeStart(config, { host: true });
  for (const w of unused) warn(`conclave: warning: ${w.message}`);
  const apps = config.apps.map((app) => app.path).join(", ") || "none";
  print(
    `conclave: ${config.file} is ready to start: jvmRoute ${node.jvmRoute}, apps ${apps}, ` +
      `manager ${config.cluster.manager.className}, ${config.warnings.length + unused.length} ` +
      "warning(s) about unknown attributes",
  );
  return 0;
}

/** A logger that prints warnings (and worse) as readable lines, and drops the rest. */
function warningsTo(warn: (line: string) => void): Logger {
  const drop = () => {};
  const say = (fields: object | string, message?: string) => {
    if (typeof fields === "string") return warn(`conclave: warning: ${fields}`);
    const f = fields as { unknown?: string[]; accepted?: string[]; path?: string };
    if (Array.isArray(f.unknown) && Array.isArray(f.accepted)) {
      const accepted = f.accepted;
      const hints = f.unknown.flatMap((name) => {
        const match = closest(name, accepted);
        return match === undefined ? [] : [`${JSON.stringify(match)} for ${JSON.stringify(name)}`];
      });
      return warn(
        `conclave: warning: ${message} at ${f.path || "the top level"}: ${f.unknown.join(", ")}` +
          `; accepted: ${accepted.join(", ") || "none"}` +
          (hints.length > 0 ? ` (did you mean ${hints.join(", ")}?)` : ""),
      );
    }
    warn(`conclave: warning: ${message} ${JSON.stringify(fields)}`);
  };
  const logger: Logger = {
    trace: drop,
    debug: drop,
    info: drop,
    warn: say,
    error: say,
    fatal: say,
    child: () => logger,
    isLevelEnabled: (level) => ["warn", "error", "fatal"].includes(level),
  };
  return logger;
}
