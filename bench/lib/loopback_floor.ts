/**
 * The machine's own floor for replication lag: one process sends 1 KiB over loopback TCP to two
 * others, 1 ms apart, and they time each arrival on the clock the lag measurement uses. No
 * Conclave code runs; what this shows is the scheduling and wake-up delay every replicated
 * write pays on this machine, to read the lag goal against.
 *
 * Run as a script with `receiver` it is one of the receivers (spawned by `loopbackFloor`); with
 * `run N` it measures N messages and prints the summary as JSON (spawned by `runtimeFloor`, so
 * that sender and receivers run on the runtime whose lag the floor stands beside).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createConnection, createServer, type Socket } from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { sleep, summary } from "../http/util.ts";
import { runtimeCommand, type RuntimeName } from "../../test/helpers/runtime.ts";
import { now } from "./shared_clock.ts";

const MESSAGE = 1024;
/**
 * Messages each receiver leaves out first, while its clock settles (see `now`) and its code warms
 * up; the light-load lag leaves out as many writes (`bench/http/lag.ts`).
 */
export const WARM_UP = 200;

/** Receiver: listens, prints its port, then prints the lags of `count` messages as JSON. */
function receiver(count: number): void {
  const lags: number[] = [];
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    let pending = new Uint8Array(0);
    socket.on("data", (chunk: Uint8Array) => {
      const at = now();
      const joined = new Uint8Array(pending.length + chunk.length);
      joined.set(pending);
      joined.set(chunk, pending.length);
      let offset = 0;
      for (; offset + MESSAGE <= joined.length; offset += MESSAGE) {
        lags.push(at - new DataView(joined.buffer, offset, 8).getFloat64(0));
      }
      pending = joined.slice(offset);
      if (lags.length >= WARM_UP + count) {
        process.stdout.write(`${JSON.stringify({ lags: lags.slice(WARM_UP) })}\n`);
        socket.destroy();
        server.close();
      }
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address && typeof address === "object") {
      process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
    }
  });
}

/** Spawns a receiver with the runtime and flags of this process; resolves its port and lags. */
function spawnReceiver(count: number) {
  const { command, args } = runtimeCommand(fileURLToPath(import.meta.url), {
    inheritExecArgv: true,
  });
  const child = spawn(command, [...args, "receiver", String(count)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let buffered = "";
  let onPort: (port: number) => void = () => {};
  let onLags: (lags: number[]) => void = () => {};
  const port = new Promise<number>((resolve) => onPort = resolve);
  const lags = new Promise<number[]>((resolve) => onLags = resolve);
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (text: string) => {
    buffered += text;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = JSON.parse(buffered.slice(0, nl)) as { port?: number; lags?: number[] };
      buffered = buffered.slice(nl + 1);
      if (line.port !== undefined) onPort(line.port);
      if (line.lags) onLags(line.lags);
    }
  });
  return { child, port, lags };
}

/**
 * Sends `messages` 1 KiB messages to two receiver processes, `intervalMs` apart; the lags (ms)
 * from send to arrival, both receivers together. Ends both processes by their pid.
 */
export async function loopbackFloor(messages: number, intervalMs = 1) {
  const receivers = [spawnReceiver(messages), spawnReceiver(messages)];
  const sockets: Socket[] = [];
  try {
    for (const r of receivers) {
      const port = await r.port;
      sockets.push(
        await new Promise<Socket>((resolve, reject) => {
          const socket = createConnection(port, "127.0.0.1", () => resolve(socket));
          socket.setNoDelay(true);
          socket.once("error", reject);
        }),
      );
    }
    for (let i = 0; i < WARM_UP + messages; i++) {
      const message = new Uint8Array(MESSAGE);
      new DataView(message.buffer).setFloat64(0, now());
      for (const socket of sockets) socket.write(message);
      await sleep(intervalMs);
    }
    const lags = (await Promise.all(receivers.map((r) => r.lags))).flat();
    return summary(lags);
  } finally {
    for (const socket of sockets) socket.destroy();
    // Waited for, so that their CPU time counts as this process's children's (`bench/http/lag.ts`).
    await Promise.all(receivers.map(({ child }) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill();
      })
    ));
  }
}

/**
 * The floor with the sender and both receivers on `runtime`: a child process of that runtime runs
 * `loopbackFloor` and prints its summary; ended by its pid if it fails.
 */
export async function runtimeFloor(
  runtime: RuntimeName,
  messages: number,
): Promise<ReturnType<typeof summary>> {
  const { command, args } = runtimeCommand(fileURLToPath(import.meta.url), { runtime });
  const child = spawn(command, [...args, "run", String(messages)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => out += text);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", resolve);
    });
    if (code !== 0) throw new Error(`loopback floor on ${runtime} exited with ${code}`);
    return JSON.parse(out) as ReturnType<typeof summary>;
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "receiver") receiver(Number(process.argv[3]));
  if (process.argv[2] === "run") {
    const floor = await loopbackFloor(Number(process.argv[3]));
    process.stdout.write(`${JSON.stringify(floor)}\n`);
    process.exit(0); // the shared clock's calibration timer would keep the process up
  }
}
