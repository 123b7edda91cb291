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

const TIMEOUT_MS = 5000;

/**
 * Why a fetch failed, in words and with the system's code: each runtime words it differently
 * (Node's "fetch failed" hides the code in `cause`).
 */
function why(error: unknown): string {
  const texts: string[] = [];
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    texts.push(String(code ?? ""), String(name ?? ""), String(message ?? e));
  }
  const all = texts.join(" ");
  if (/ECONNREFUSED|ConnectionRefused|Connection refused/i.test(all)) {
    return "connection refused (ECONNREFUSED): nothing listens there; is the node started, " +
      "and is this its http (or admin) address?";
  }
  if (/TimeoutError|ETIMEDOUT|timed out/i.test(all)) {
    return `no answer within ${TIMEOUT_MS / 1000} s (ETIMEDOUT)`;
  }
  if (/ENOTFOUND|EAI_AGAIN|failed to lookup|dns/i.test(all)) {
    return "the host name does not resolve (ENOTFOUND)";
  }
  if (error instanceof SyntaxError) return "it answered something that is not JSON";
  // The innermost message is the most specific one.
  return texts.filter((t) => t !== "" && t !== "undefined").at(-1) ?? String(error);
}

function httpReason(status: number, base: string): string {
  if (status === 401) return "it answered HTTP 401 (an admin listener that wants its token)";
  if (status === 403) return "it answered HTTP 403 (status is answered to loopback clients only)";
  return `it answered HTTP ${status}: is ${base} a Conclave node's address? (a node with an ` +
    "admin listener answers status there, not on its http port)";
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
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error(httpReason(response.status, base));
    status = await response.json() as Status;
  } catch (cause) {
    throw new ConclaveError("STATUS_ERR_UNREACHABLE", `Cannot read ${url}: ${why(cause)}`, {
      cause,
    });
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
