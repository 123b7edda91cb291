/**
 * Work deferred to the end of this turn of the event loop, all of it in one `setImmediate`.
 *
 * Both the session managers' message bundling and the frame writers' coalescing wait for the turn
 * to end, so that everything the turn's I/O callbacks produced leaves together. With one
 * `setImmediate` each, a writer that a bundle fed would schedule its flush for the next turn; here
 * work added while the queue runs runs in the same pass, so a bundle's frames leave in its turn.
 *
 * @module
 */
import { setImmediate } from "node:timers";

const queue: (() => void)[] = [];
let scheduled = false;

/**
 * Runs `task` once the current turn's callbacks are done (in the check phase). A task added by
 * another task runs in the same pass; one that must yield to I/O first uses `setImmediate`.
 */
export function atTurnEnd(task: () => void): void {
  queue.push(task);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runTurnEnd);
  }
}

function runTurnEnd(): void {
  let failure: { error: unknown } | undefined;
  // The length is read on every step: tasks added meanwhile join this pass.
  for (let i = 0; i < queue.length; i++) {
    try {
      queue[i]();
    } catch (error) {
      failure ??= { error }; // the others still run; the first error surfaces as before
    }
  }
  queue.length = 0; // kept: one array for every turn
  scheduled = false;
  if (failure) throw failure.error;
}
