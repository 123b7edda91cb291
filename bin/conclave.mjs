#!/usr/bin/env node
// The `conclave` command. Deno and Bun run TypeScript themselves; Node goes through tsx, since
// Node does not strip types from files inside node_modules.
if (!globalThis.Deno && !globalThis.Bun) {
  const { register } = await import("tsx/esm/api");
  register();
}
const { main } = await import("../src/cli/main.ts");
process.exit(await main(process.argv.slice(2)));
