/**
 * The ceiling set-up of `bench/http.ts` (`--ceiling`): per runtime, as many processes of
 * `hello.ts` (the runtime's HTTP server as Conclave uses it, no sessions) as the Conclave cluster
 * has nodes, loaded the same way (`--load-on`).
 *
 * @module
 */
import { join } from "node:path";
import { LoggedProcess } from "../../test/helpers/node_process.ts";
import { installedVersion, runtimeCommand } from "../../test/helpers/runtime.ts";
import { benchFile } from "./compiled.ts";
import type { Runtime } from "./settings.ts";
import { run, type Server, type SetUp, START_TIMEOUT, waitLine } from "./setup.ts";
import { freePort } from "./util.ts";

export async function startCeiling(runtime: Runtime, count: number): Promise<SetUp> {
  const { command, args } = runtimeCommand(benchFile(runtime, "bench/http/hello.ts"), { runtime });
  const servers: Server[] = [];
  for (let i = 1; i <= count; i++) {
    const port = await freePort();
    const proc = new LoggedProcess({
      name: `hello h${i} on ${runtime}`,
      argv: [command, ...args, "--port", String(port)],
      logFile: join(run.workDir, `hello-${runtime}-h${i}-${Date.now()}.log`),
    });
    servers.push({ name: `h${i}`, httpPort: port, receiverPort: 0, proc, pool: [] });
  }
  await Promise.all(servers.map((s) => waitLine(s.proc, "Listening", START_TIMEOUT)));
  return {
    id: `hello/${runtime}`,
    kind: "ceiling",
    runtime,
    version: installedVersion(runtime) ?? "?",
    sendOptions: "-",
    servers,
    others: [],
    cookieName: "JSESSIONID",
  };
}
