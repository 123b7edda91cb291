/**
 * Builds `ConfigError`s that carry the line and column of the value they are about.
 *
 * @module
 */
import { ConfigError, type ErrorCode } from "../../errors.ts";
import type { PositionMap } from "./types.ts";

/** What an error needs to know about the file. */
export interface ErrorSource {
  readonly file: string;
  readonly positions: PositionMap;
}

/**
 * A `ConfigError` for the value at `path`.
 *
 * @param at the path whose position to report, when it differs from `path` (a missing value is
 *   reported where its parent object starts)
 */
export function configError(
  code: ErrorCode,
  source: ErrorSource,
  path: string,
  found: string,
  expected: string,
  at = path,
): ConfigError {
  const position = source.positions.get(at);
  return new ConfigError(code, {
    file: source.file,
    path,
    found,
    expected,
    line: position?.line,
    column: position?.column,
  });
}

/** A plain data object: not null, not an array, not a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets an own property even for `"__proto__"`, as `JSON.parse` does. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
