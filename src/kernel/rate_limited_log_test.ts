/** Peer-caused errors: each counted by code, at most one warn line per code per interval. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConclaveError } from "../errors.ts";
import { captureLogger } from "../testing/capture_logger.ts";
import { ManualClock } from "./manual_clock.ts";
import { RateLimitedLog } from "./rate_limited_log.ts";

describe("RateLimitedLog", () => {
  it("logs one line per code per interval and says how many it suppressed", async () => {
    const { logger, lines } = captureLogger();
    const clock = new ManualClock();
    const log = new RateLimitedLog(logger, clock, "Bad input", 10_000);
    const bad = new ConclaveError("WIRE_ERR_MALFORMED", "bad");
    for (let i = 0; i < 100; i++) log.report(bad, { remote: "x" });
    log.report(new ConclaveError("WIRE_ERR_TRUNCATED", "cut"), { remote: "y" });
    const warns = () => lines.filter((l) => l.level === 40);
    assert.deepEqual(warns().map((l) => [l.code, l.suppressed, l.remote]), [
      ["WIRE_ERR_MALFORMED", 0, "x"],
      ["WIRE_ERR_TRUNCATED", 0, "y"],
    ]);
    await clock.advance(9_999);
    log.report(bad, {});
    assert.equal(warns().length, 2);
    await clock.advance(1);
    log.report(bad, {});
    assert.equal(warns().length, 3);
    assert.equal(warns()[2].suppressed, 100);
    assert.deepEqual(log.counts, { WIRE_ERR_MALFORMED: 102, WIRE_ERR_TRUNCATED: 1 });
  });

  it("counts a quiet report without a warn line", () => {
    const { logger, lines } = captureLogger();
    const log = new RateLimitedLog(logger, new ManualClock(), "Bad input");
    log.report(new Error("abandoned"), {}, true);
    assert.deepEqual(log.counts, { ERROR: 1 });
    assert.equal(lines.filter((l) => l.level === 40).length, 0);
  });
});
