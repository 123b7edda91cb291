/**
 * Counting and rate-limited logging of dropped membership messages, so a flood of forged
 * datagrams costs a counter increment each, not a log line each.
 *
 * @module
 */
import type { Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import { ConclaveError } from "../errors.ts";

export class DroppedMessages {
  #logger: Logger;
  #clock: Clock;
  #interval: number;
  #lastLog = new Map<string, number>();
  #suppressed = new Map<string, number>();
  /** Drops by error code. */
  readonly counts: Record<string, number> = {};

  constructor(logger: Logger, clock: Clock, interval = 10_000) {
    this.#logger = logger;
    this.#clock = clock;
    this.#interval = interval;
  }

  /** Counts `error` and logs it at warn, at most once per interval per code. */
  drop(error: unknown, from: string): void {
    const code = error instanceof ConclaveError ? error.code : "ERROR";
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    const now = this.#clock.now();
    const last = this.#lastLog.get(code);
    if (last !== undefined && now - last < this.#interval) {
      this.#suppressed.set(code, (this.#suppressed.get(code) ?? 0) + 1);
      return;
    }
    this.#lastLog.set(code, now);
    const suppressed = this.#suppressed.get(code) ?? 0;
    this.#suppressed.delete(code);
    this.#logger.warn(
      { code, from, err: (error as Error).message, suppressed },
      "Membership message dropped",
    );
  }
}
