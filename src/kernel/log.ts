/**
 * Logging: pino JSON lines on stdout, one child logger per component.
 *
 * @module
 */
import pino from "pino";
import type { Logger } from "../interfaces/logger.ts";

/** Log levels, most verbose first. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The root logger of a node: JSON lines on stdout, written synchronously so none is lost at exit. */
export function createLogger(
  options: { level?: LogLevel; bindings?: Record<string, unknown> } = {},
): Logger {
  return pino(
    { level: options.level ?? "info", base: options.bindings ?? {} },
    pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that drops everything (tests, library users who bring none). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** The child logger handed to one component: `{ component: "membership/static" }`. */
export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}
