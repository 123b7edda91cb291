/**
 * Counting and rate-limited logging of errors caused by peers, so a flood of bad input costs a
 * counter increment each, not a log line each.
 *
 * @module
 */
import type { Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import { ConclaveError } from "../errors.ts";

export class RateLimitedLog {
  #logger: Logger;
  #clock: Clock;
  #message: string;
  #interval: number;
  #lastLog = new Map<string, number>();
  #suppressed = new Map<string, number>();
  /** Errors by code. */
  readonly counts: Record<string, number> = {};

  /** Logs at warn with `message`, at most once per `interval` ms per code. */
  constructor(logger: Logger, clock: Clock, message: string, interval = 10_000) {
    this.#logger = logger;
    this.#clock = clock;
    this.#message = message;
    this.#interval = interval;
  }

  /**
   * Counts `error` under its code and logs it at warn unless a line for that code was logged
   * within the interval; the next line says how many were suppressed. `quiet` counts only.
   */
  report(error: unknown, fields: Record<string, unknown>, quiet = false): void {
    const code = error instanceof ConclaveError ? error.code : "ERROR";
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    const err = error instanceof Error ? error.message : String(error);
    const now = this.#clock.now();
    const last = this.#lastLog.get(code);
    if (quiet) {
      this.#logger.debug({ ...fields, code, err }, this.#message);
      return;
    }
    if (last !== undefined && now - last < this.#interval) {
      this.#suppressed.set(code, (this.#suppressed.get(code) ?? 0) + 1);
      return;
    }
    this.#lastLog.set(code, now);
    const suppressed = this.#suppressed.get(code) ?? 0;
    this.#suppressed.delete(code);
    this.#logger.warn({ ...fields, code, err, suppressed }, this.#message);
  }
}
