/**
 * `conclave status --url http://127.0.0.1:8081`: a node's view of the cluster, from its admin
 * endpoint (`/_conclave/status`).
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import { parseFlags } from "./args.ts";

export const STATUS_USAGE = `Usage: conclave status [--url URL] [--json]

Prints a node's view of the cluster: its route, the other members, the sessions per app.
  --url URL   the node's HTTP address (default http://127.0.0.1:8081)
  --json      print the raw JSON
`;

interface Status {
  jvmRoute: string;
  uniqueId: string;
  runtime: string;
  members: { name: string; jvmRoute: string; ready: boolean }[];
  apps: { path: string; manager: string; sessions: number }[];
}

/** Runs the command; resolves to the exit status. */
export async function statusCommand(
  argv: readonly string[],
  print: (line: string) => void = console.log,
): Promise<number> {
  const flags = parseFlags(argv, {
    url: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    print(STATUS_USAGE);
    return 0;
  }
  const base = typeof flags.url === "string" ? flags.url : "http://127.0.0.1:8081";
  let url: URL;
  try {
    url = new URL("/_conclave/status", base);
  } catch {
    throw new ConclaveError(
      "CLI_ERR_BAD_FLAG",
      `--url ${JSON.stringify(base)} is not a URL; expected http://host:port`,
    );
  }
  let status: Status;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    status = await response.json() as Status;
  } catch (cause) {
    throw new ConclaveError(
      "STATUS_ERR_UNREACHABLE",
      `Cannot read ${url}: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (flags.json) {
    print(JSON.stringify(status, null, 2));
    return 0;
  }
  print(`${status.jvmRoute} (${status.runtime}, id ${status.uniqueId})`);
  print(`members: ${status.members.length === 0 ? "none" : ""}`);
  for (const m of status.members) {
    print(`  ${m.jvmRoute.padEnd(16)} ${m.name}${m.ready ? "" : "  (not ready)"}`);
  }
  print("apps:");
  for (const a of status.apps) {
    print(`  ${a.path.padEnd(16)} ${a.manager}, ${a.sessions} session(s)`);
  }
  return 0;
}
