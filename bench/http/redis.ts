/**
 * The Express + Redis set-up of `bench/http.ts`: one `redis-server` and two processes of
 * `express_redis.ts` on Node.
 *
 * @module
 */
import { join } from "node:path";
import { LoggedProcess } from "../../test/helpers/node_process.ts";
import { installedVersion, REPO, runtimeCommand } from "../../test/helpers/runtime.ts";
import { run, type SetUp, START_TIMEOUT, waitLine } from "./setup.ts";
import { freePort, waitForPort } from "./util.ts";

export function startExpress(name: string, port: number, redisPort: number): LoggedProcess {
  const { command, args } = runtimeCommand(join(REPO, "bench", "http", "express_redis.ts"), {
    runtime: "node",
    exposeGc: true,
  });
  return new LoggedProcess({
    name,
    argv: [
      command,
      ...args,
      "--name",
      name,
      "--port",
      String(port),
      "--redis-port",
      String(redisPort),
    ],
    logFile: join(run.workDir, `redis-${name}-${Date.now()}.log`),
  });
}

export async function startRedis(): Promise<SetUp> {
  const redisPort = await freePort();
  const redis = new LoggedProcess({
    name: "redis-server",
    argv: [
      "redis-server",
      "--port",
      String(redisPort),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    logFile: join(run.workDir, "redis-server.log"),
  });
  if (!(await waitForPort(redisPort, 10_000))) {
    throw new Error(`${redis.describe()} did not listen\n${redis.tail()}`);
  }
  const setUp: SetUp = {
    id: "redis",
    kind: "redis",
    runtime: "node",
    version: installedVersion("node") ?? "?",
    sendOptions: "-",
    servers: [],
    others: [redis],
    cookieName: "connect.sid",
  };
  for (const name of ["e1", "e2"]) {
    const port = await freePort();
    setUp.servers.push({
      name,
      httpPort: port,
      receiverPort: redisPort,
      proc: startExpress(name, port, redisPort),
      pool: [],
    });
  }
  await Promise.all(setUp.servers.map((s) => waitLine(s.proc, "Listening", START_TIMEOUT)));
  return setUp;
}

export async function restartExpress(setUp: SetUp, index: number): Promise<number> {
  const server = setUp.servers[index];
  const t0 = Date.now();
  server.proc = startExpress(server.name, server.httpPort, server.receiverPort);
  await waitLine(server.proc, "Listening", START_TIMEOUT);
  return Date.now() - t0;
}
