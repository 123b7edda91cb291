/**
 * The bytes a receiver may hold for all its connections together (unfinished frames and messages
 * waiting for processing).
 *
 * Each connection may always hold a small reserve (`limit / (2 x connections)`), so small frames
 * from honest peers keep flowing whatever others hold; beyond its reserve a connection draws on a
 * shared pool (the rest of the limit). A connection that takes the pool over its size stops
 * reading and waits, in arrival order, until others release bytes: the bytes it had already read
 * are the only overshoot.
 *
 * @module
 */
export class ByteBudget {
  readonly limit: number;
  /** Bytes each connection may hold without drawing on the pool. */
  readonly reserve: number;
  readonly pool: number;
  #used = 0;
  #drawn = 0;
  #waiters = new Set<() => void>();

  constructor(limit: number, maxConnections: number) {
    this.limit = limit;
    this.reserve = Math.floor(limit / (2 * maxConnections));
    this.pool = limit - this.reserve * maxConnections;
  }

  /** Bytes held now, by all connections. */
  get used(): number {
    return this.#used;
  }

  /** The pool is spent: a connection beyond its reserve must wait. */
  get over(): boolean {
    return this.#drawn > this.pool;
  }

  /** Connections waiting for room. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** A connection's holding went from `before` to `after` bytes; wakes waiters when room opens. */
  change(before: number, after: number): void {
    this.#used += after - before;
    const drawn = Math.max(0, after - this.reserve) - Math.max(0, before - this.reserve);
    this.#drawn += drawn;
    if (drawn >= 0) return;
    for (const waiter of this.#waiters) {
      if (this.#drawn >= this.pool) break;
      this.#waiters.delete(waiter);
      waiter();
    }
  }

  /** Calls `resume` once the pool has room; `cancel` takes it out of the line. */
  wait(resume: () => void): void {
    this.#waiters.add(resume);
  }

  cancel(resume: () => void): void {
    this.#waiters.delete(resume);
  }
}
