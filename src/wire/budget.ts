/**
 * The bytes a receiver may hold for all its connections together (unfinished frames and messages
 * waiting for processing). A connection that takes it over the limit stops reading and waits in
 * line until others release bytes; the bytes it already read are the only overshoot.
 *
 * @module
 */
export class ByteBudget {
  readonly limit: number;
  #used = 0;
  #waiters = new Set<() => void>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  get over(): boolean {
    return this.#used > this.limit;
  }

  /** Connections waiting for room. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Adds `delta` (negative: releases), then wakes waiters in arrival order while there is room. */
  change(delta: number): void {
    this.#used += delta;
    if (delta >= 0) return;
    for (const waiter of this.#waiters) {
      if (this.#used >= this.limit) break;
      this.#waiters.delete(waiter);
      waiter();
    }
  }

  /** Calls `resume` once there is room; `cancel` takes it out of the line. */
  wait(resume: () => void): void {
    this.#waiters.add(resume);
  }

  cancel(resume: () => void): void {
    this.#waiters.delete(resume);
  }
}
