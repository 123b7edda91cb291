/**
 * A logger that keeps its lines, for tests that check what was logged.
 *
 * @module
 */
import pino from "pino";
import type { Logger } from "../interfaces/logger.ts";

/** A pino logger at `trace` whose parsed lines land in `lines`. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "trace" }, {
    write: (line: string) => lines.push(JSON.parse(line)),
  });
  return { logger, lines };
}
