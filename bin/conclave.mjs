#!/usr/bin/env node
// The `conclave` command: the compiled CLI (dist/) in the package, the TypeScript sources in a
// checkout (which has tsconfig.build.json; a dist/ there may be stale).
//
// Node before 22.18 cannot strip types, so an app or plugin written in TypeScript needs tsx. Where
// tsx is installed, the bin runs itself again under `node --import tsx`, as `tsx node.ts` does:
// tsx registered from inside an already running module compiles a `.ts` app in a folder without
// package.json to CommonJS, and importing it fails ("Cannot require() ES Module ... in a cycle").
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const checkout = existsSync(new URL("../tsconfig.build.json", import.meta.url));
const stripsTypes = Boolean(globalThis.Deno || globalThis.Bun || process.features.typescript);
const tsx = stripsTypes || process.execArgv.some((arg) => arg.includes("tsx"))
  ? undefined
  : findTsx();

if (tsx !== undefined) {
  const child = spawn(
    process.execPath,
    [
      "--import",
      tsx,
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: "inherit" },
  );
  // A signal sent to this process's id (not the terminal's group) must reach the node too.
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 143)));
} else {
  const { main } = await import(checkout ? "../src/cli/main.ts" : "../dist/src/cli/main.js");
  process.exit(await main(process.argv.slice(2)));
}

/** tsx's loader as a file: URL, from beside this package or from the current folder; or undefined. */
function findTsx() {
  for (const from of [fileURLToPath(import.meta.url), join(process.cwd(), "package.json")]) {
    try {
      return pathToFileURL(createRequire(from).resolve("tsx")).href;
    } catch {
      // not installed there
    }
  }
  return undefined;
}
