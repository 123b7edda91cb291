/**
 * Test helpers for the configuration kernel's tests (not part of the API).
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConfigError } from "../../errors.ts";

/** The fields of a `ConfigError` a test pins down. */
export type ConfigErrorFields = Partial<
  Pick<ConfigError, "code" | "file" | "path" | "found" | "expected" | "line" | "column">
>;

/** Runs `fn`, asserts it throws a `ConfigError` with `fields`, and returns the error. */
export function assertConfigError(fn: () => unknown, fields: ConfigErrorFields): ConfigError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  return check(error, fields);
}

/** As `assertConfigError`, for a function returning a promise. */
export async function assertRejectsConfigError(
  fn: () => Promise<unknown>,
  fields: ConfigErrorFields,
): Promise<ConfigError> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  return check(error, fields);
}

function check(error: unknown, fields: ConfigErrorFields): ConfigError {
  assert.ok(error !== undefined, "expected a ConfigError, but nothing was thrown");
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
  const actual: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) actual[key] = error[key as keyof ConfigErrorFields];
  assert.deepEqual(actual, fields);
  return error;
}
