/**
 * Runs `count` asynchronous steps with at most `window` in flight (the bench apps' `/seed`).
 *
 * @module
 */

/** Calls `step(i)` for i < count, `window` at a time; resolves with how many steps rejected. */
export async function windowed(
  count: number,
  window: number,
  step: (i: number) => Promise<unknown>,
): Promise<number> {
  const inFlight = new Set<Promise<unknown>>();
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const running: Promise<unknown> = step(i).then(
      () => inFlight.delete(running),
      () => {
        failed++;
        inFlight.delete(running);
      },
    );
    inFlight.add(running);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return failed;
}
