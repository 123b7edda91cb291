/**
 * Starts one cluster node: `node node.ts --config cluster.json` (Node >= 22.18),
 * `npx tsx node.ts ...` (Node 20), `deno run -A node.ts ...`, `bun run node.ts ...`.
 *
 * @module
 */
import { main } from "./src/cli/main.ts";

process.exit(await main(process.argv.slice(2)));
