/**
 * The logger contract: the subset of pino that Conclave uses, so any pino-compatible logger fits.
 *
 * @module
 */

/** Log method: `log.warn({ member }, "Member suspected")`: a constant message, data in fields. */
export interface LogFn {
  (fields: object, message: string): void;
  (message: string): void;
}

/** A pino-compatible logger. */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled(level: string): boolean;
}
