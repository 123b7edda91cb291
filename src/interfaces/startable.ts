/**
 * Lifecycle contract.
 *
 * @module
 */

/** Anything with a lifecycle. Both calls are idempotent: a second start or stop does nothing. */
export interface Startable {
  start(): Promise<void>;
  stop(): Promise<void>;
}
