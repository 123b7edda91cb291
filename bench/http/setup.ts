/**
 * A set-up of `bench/http.ts` (a Conclave cluster or the Express + Redis pair): its servers, the
 * folder and wrk process the run shares, waits on log lines, and the sessions the load replays.
 *
 * @module
 */
import { logged, type LoggedProcess } from "../../test/helpers/node_process.ts";
import { cookieOf } from "./util.ts";

export const START_TIMEOUT = 60_000;
export const JOIN_TIMEOUT = 30_000;

/** What the whole run shares: the folder for configurations and logs, and the wrk running now. */
export const run: { workDir: string; wrkPid: number | undefined } = {
  workDir: "",
  wrkPid: undefined,
};

export interface Server {
  name: string;
  httpPort: number;
  receiverPort: number;
  proc: LoggedProcess;
  /** Cookies (`name=value`) of the sessions made on this server, replayed by the load. */
  pool: string[];
}

export interface SetUp {
  /** Short name used in rows: `conclave/node/sync`, `redis`. */
  id: string;
  /** `ceiling`: the runtime's HTTP server with no sessions (`hello.ts`). */
  kind: "conclave" | "redis" | "ceiling";
  runtime: string;
  version: string;
  sendOptions: string;
  servers: Server[];
  /** Processes of the set-up that are not HTTP servers (redis-server). */
  others: LoggedProcess[];
  cookieName: string;
  /** Conclave: the cluster's configuration file (a joining node uses it too). */
  configFile?: string;
}

/** `conclave/node/sync (node 24.1.0)`, for progress lines. */
export const tagOf = (setUp: SetUp) => `${setUp.id} (${setUp.runtime} ${setUp.version})`;

export function waitLine(proc: LoggedProcess, msg: string, timeoutMs: number) {
  return proc.waitFor(`"${msg}"`, logged(msg), { timeoutMs });
}

export async function waitAdded(proc: LoggedProcess, member: string, from: number) {
  await proc.waitFor(`"Member added" for ${member}`, logged("Member added", member), {
    from,
    timeoutMs: JOIN_TIMEOUT,
  });
}

export async function stopSetUp(setUp: SetUp): Promise<void> {
  await Promise.all(setUp.servers.map((s) => s.proc.stop()));
  await Promise.all(setUp.others.map((p) => p.stop()));
}

export function pids(setUp: SetUp): number[] {
  return [...setUp.servers.map((s) => s.proc.pid), ...setUp.others.map((p) => p.pid)];
}

// ---------------------------------------------------------------- sessions to replay

export async function makePool(setUp: SetUp, server: Server, size: number): Promise<void> {
  const url = `http://127.0.0.1:${server.httpPort}/write`;
  const made: string[] = [];
  const one = async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await response.text();
    const cookie = cookieOf(response, setUp.cookieName);
    if (!response.ok || !cookie) throw new Error(`${url}: ${response.status}, no session cookie`);
    made.push(cookie);
  };
  while (made.length < size) {
    await Promise.all(Array.from({ length: Math.min(8, size - made.length) }, one));
  }
  server.pool = made;
}
