/**
 * One clock for every process of a benchmark, to time a message from one process to another.
 *
 * @module
 */

/**
 * Milliseconds since the epoch with sub-millisecond resolution, the same in every process.
 *
 * `performance.timeOrigin + performance.now()` is not: each process fixes its origin from the
 * wall clock once, and this VM's wall clock moves against the monotonic one, so long-running
 * processes disagree by milliseconds (lags came out negative). Here the wall clock is read on
 * every call: `Date.now()` floors it, so `Date.now() - performance.now()` is a lower bound of the
 * true offset, and the largest bound over the last one to two seconds is the offset to within
 * microseconds once a few hundred calls fell at different points of a millisecond.
 */
let offsetMax = -Infinity;
let offsetPrevious = -Infinity;
let windowStart = 0;
export function now(): number {
  const mono = performance.now();
  const bound = Date.now() - mono;
  if (mono - windowStart > 1000) {
    offsetPrevious = offsetMax;
    offsetMax = -Infinity;
    windowStart = mono;
  }
  if (bound > offsetMax) offsetMax = bound;
  return mono + Math.max(offsetMax, offsetPrevious);
}
