/**
 * The session an app sees (SPEC section 4): a view of a stored session for one request.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import type { Manager, SessionRecord } from "../interfaces/manager.ts";
import { checkAttributeSize } from "./limits.ts";
import { checkValue } from "./values.ts";

export class Session {
  #stored: SessionRecord;
  #owner: Manager;
  #isNew: boolean;
  #invalid = false;
  /** Work the request must finish before it answers (invalidation's replication). */
  readonly pending: Promise<void>[] = [];

  constructor(stored: SessionRecord, owner: Manager, isNew: boolean) {
    this.#stored = stored;
    this.#owner = owner;
    this.#isNew = isNew;
  }

  /** The stored session behind this view (after `changeId`, the new one). */
  get stored(): SessionRecord {
    return this.#stored;
  }

  get id(): string {
    return this.#stored.id;
  }
  get isNew(): boolean {
    return this.#isNew;
  }
  get creationTime(): number {
    return this.#stored.creationTime;
  }
  get lastAccessedTime(): number {
    return this.#stored.lastAccessedTime;
  }
  /** Seconds of inactivity before the session expires; 0 or less: never. */
  get maxInactiveInterval(): number {
    return this.#stored.maxInactiveInterval;
  }
  set maxInactiveInterval(seconds: number) {
    this.#live();
    if (!Number.isInteger(seconds)) {
      throw new ConclaveError(
        "SESSION_ERR_VALUE",
        `maxInactiveInterval must be whole seconds; got ${seconds}`,
      );
    }
    this.#stored.setMaxInactiveInterval(seconds);
  }
  /** True once `invalidate()` was called. */
  get invalid(): boolean {
    return this.#invalid;
  }

  get(name: string): unknown {
    this.#live();
    return this.#stored.attributes.get(name);
  }

  /**
   * Sets an attribute. The value is checked now: anything that cannot be replicated throws
   * SESSION_ERR_VALUE naming the attribute and where inside the value. `{ replicate: false }`
   * keeps the value on this node only.
   */
  set(name: string, value: unknown, options: { replicate?: boolean } = {}): void {
    this.#live();
    if (options.replicate === false) {
      this.#stored.setLocal(name, true);
    } else {
      checkValue(name, value);
      checkAttributeSize(name, value);
      this.#stored.setLocal(name, false);
    }
    this.#stored.attributes.set(name, value);
  }

  delete(name: string): void {
    this.#live();
    this.#stored.attributes.delete(name);
  }

  names(): string[] {
    this.#live();
    return [...this.#stored.attributes.keys()];
  }

  /** Ends the session on every node. */
  invalidate(): void {
    this.#live();
    this.#invalid = true;
    this.pending.push(this.#owner.invalidate(this.#stored.id));
  }

  /** Gives the session a new id, keeping its data (use after login, against session fixation). */
  changeId(): string {
    this.#live();
    this.#stored = this.#owner.changeId(this.#stored);
    return this.#stored.id;
  }

  #live(): void {
    if (this.#invalid) {
      throw new ConclaveError(
        "SESSION_ERR_INVALIDATED",
        `Session ${this.#stored.id} was invalidated`,
      );
    }
  }
}
