/**
 * Runs a TypeScript file on Node (through tsx), Deno or Bun, whichever runtime runs the caller:
 * the one place tests and benchmarks build that command line.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { detectRuntime, type RuntimeName } from "../../src/runtime/detect.ts";

export type { RuntimeName };

/** The repository's root folder. */
export const REPO: string = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** The three runtimes, in the order tests name them. */
export const RUNTIMES: readonly RuntimeName[] = ["node", "deno", "bun"];

export interface RuntimeOptions {
  /** The runtime to run the file on; this process's runtime when absent. */
  runtime?: RuntimeName;
  /** Exposes a full garbage collection (`gc()` on Node and Deno; Bun has `Bun.gc`). */
  exposeGc?: boolean;
  /**
   * Node running Node: pass this process's `execArgv` on when it already loads tsx, so that
   * flags such as `--cpu-prof` reach the child too.
   */
  inheritExecArgv?: boolean;
  /** Node only: more flags for the runtime itself (`--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeFlags?: readonly string[];
}

/** The executable of `runtime`: this process's own, else the repository's copy (Node: PATH). */
export function runtimeBinary(runtime: RuntimeName): string {
  if (runtime === detectRuntime().name) return process.execPath;
  if (runtime === "node") return "node";
  return join(REPO, "node_modules", ".bin", runtime);
}

/** The command that runs `file` on a runtime; append the file's own arguments to `args`. */
export function runtimeCommand(
  file: string,
  options: RuntimeOptions = {},
): { command: string; args: string[] } {
  const runtime = options.runtime ?? detectRuntime().name;
  const command = runtimeBinary(runtime);
  if (runtime === "deno") {
    return {
      command,
      args: ["run", "-A", ...(options.exposeGc ? ["--v8-flags=--expose-gc"] : []), file],
    };
  }
  if (runtime === "bun") return { command, args: ["run", file] };
  const own = options.inheritExecArgv && detectRuntime().name === "node" &&
    process.execArgv.some((a) => a.includes("tsx"));
  // `--import tsx` resolves from the working directory: run from the repository.
  const loader = own ? process.execArgv : ["--import", "tsx"];
  const flags = [...(options.exposeGc ? ["--expose-gc"] : []), ...(options.nodeFlags ?? [])];
  return { command, args: [...flags, ...loader, file] };
}

/** The version `runtime --version` prints, or undefined when that runtime is not installed. */
export function installedVersion(runtime: RuntimeName): string | undefined {
  const { name, version } = detectRuntime();
  if (runtime === name) return version;
  const binary = runtimeBinary(runtime);
  if (runtime !== "node" && !existsSync(binary)) return undefined;
  const probe = spawnSync(binary, ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return undefined;
  return /(\d+\.\d+\.\d+)/.exec(probe.stdout)?.[1] ?? probe.stdout.trim();
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args...` to completion (in `cwd` when given), keeping its output. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => stdout += d);
    child.stderr.on("data", (d) => stderr += d);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `file args...` to completion on this runtime. */
export function runScript(
  file: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const { command, args: prefix } = runtimeCommand(file);
  return runCommand(command, [...prefix, ...args], { env });
}
