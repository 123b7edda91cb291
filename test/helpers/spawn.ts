/**
 * Runs a TypeScript entry point on the runtime running the tests (Node via tsx, Deno, Bun).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { detectRuntime } from "../../src/runtime/detect.ts";

/** The command that runs `file` on this runtime. */
export function runtimeCommand(file: string): { command: string; args: string[] } {
  const { name } = detectRuntime();
  if (name === "deno") return { command: process.execPath, args: ["run", "-A", file] };
  if (name === "bun") return { command: process.execPath, args: ["run", file] };
  return { command: process.execPath, args: ["--import", "tsx", file] };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
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

/** Runs `command args...` to completion, collecting its output. */
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
