/**
 * Counting and rate-limited logging of dropped membership messages, so a flood of forged
 * datagrams costs a counter increment each, not a log line each.
 *
 * @module
 */
import type { Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import { RateLimitedLog } from "../kernel/rate_limited_log.ts";

export class DroppedMessages extends RateLimitedLog {
  constructor(logger: Logger, clock: Clock, interval = 10_000) {
    super(logger, clock, "Membership message dropped", interval);
  }

  /** Counts `error` and logs it at warn, at most once per interval per code. */
  drop(error: unknown, from: string): void {
    this.report(error, { from });
  }
}
