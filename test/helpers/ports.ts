/**
 * Free TCP ports on 127.0.0.1 for tests that start servers and node processes.
 *
 * Ports come from 47000-49999, below Linux's ephemeral range (32768-60999 starts above it on
 * some systems, but clients' outgoing ports are drawn from it), so that a port picked here is not
 * taken by an outgoing connection between the pick and the bind; each is checked free first.
 *
 * @module
 */
import { createServer } from "node:net";

/** A random port in 47000-49999. */
export function randomPort(): number {
  return 47000 + Math.floor(Math.random() * 3000);
}

/** `count` distinct ports in 47000-49999 that are free on 127.0.0.1 right now. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 200) throw new Error("No free port in 47000-49999");
    const port = randomPort();
    if (!ports.includes(port) && await isFree(port)) ports.push(port);
  }
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
