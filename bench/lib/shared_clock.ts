/**
 * One clock for every process of a benchmark, to time a message from one process to another.
 *
 * @module
 */

/** How often each process re-reads the wall clock's offset (it drifts against the monotonic one). */
const CALIBRATE_EVERY_MS = 500;

let offset = calibrate();
setInterval(() => offset = calibrate(), CALIBRATE_EVERY_MS).unref?.();

/**
 * The wall clock's offset from `performance.now()`, to within a microsecond or two: spins until
 * `Date.now()` ticks to the next millisecond and takes the monotonic time of that tick. At most
 * 1 ms of spinning, every CALIBRATE_EVERY_MS.
 */
function calibrate(): number {
  const start = Date.now();
  let before = performance.now();
  for (;;) {
    const wall = Date.now();
    const after = performance.now();
    if (wall !== start) return wall - (before + after) / 2;
    before = after;
  }
}

/**
 * Milliseconds since the epoch with sub-millisecond resolution, the same in every process.
 *
 * `performance.timeOrigin + performance.now()` is not: each process fixes its origin from the
 * wall clock once, and this VM's wall clock moves against the monotonic one, so long-running
 * processes disagree by milliseconds (lags came out negative). A lower bound of the offset taken
 * from `Date.now()` on each call was off by up to 1 ms when calls came once per millisecond at
 * the same phase (writes 1 ms apart); here each process finds the exact millisecond tick.
 */
export function now(): number {
  return performance.now() + offset;
}
