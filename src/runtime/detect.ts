/**
 * Which runtime this is. The only place that asks.
 *
 * @module
 */

/** The runtimes Conclave supports. */
export type RuntimeName = "node" | "deno" | "bun";

/** The runtime's name and version, such as `{ name: "deno", version: "2.9.6" }`. */
export function detectRuntime(): { name: RuntimeName; version: string } {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return { name: "deno", version: g.Deno.version.deno };
  if (g.Bun) return { name: "bun", version: g.Bun.version };
  return { name: "node", version: process.versions.node };
}

/** `deno 2.9.6`: for logs and the status endpoint. */
export function runtimeLabel(): string {
  const { name, version } = detectRuntime();
  return `${name} ${version}`;
}
