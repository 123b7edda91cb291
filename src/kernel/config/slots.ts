/**
 * Reads plugin slots: an object with a `className` and attributes. The attributes stay unchecked
 * here; the plugin that `className` resolves to checks them with its own schema.
 *
 * @module
 */
import { describeValue } from "../../errors.ts";
import { configError, type ErrorSource, isPlainObject, setOwn } from "./config_error.ts";
import { defaultSlot, defaultSlots } from "./defaults.ts";
import { childPath } from "./json.ts";
import type { Slot } from "./types.ts";

/**
 * Reads the slot at `path`; an absent one becomes `fallback` when given.
 *
 * @param example a className to show in errors
 * @throws {CONFIG_ERR_TYPE} the slot is not an object, or its className is not a string
 * @throws {CONFIG_ERR_MISSING} the slot has no className
 */
export function readSlot(
  value: unknown,
  path: string,
  source: ErrorSource,
  example: string,
  fallback?: string,
): Slot {
  if (value === undefined && fallback !== undefined) return defaultSlot(fallback, path);
  if (!isPlainObject(value)) {
    throw configError(
      "CONFIG_ERR_TYPE",
      source,
      path,
      describeValue(value),
      `an object with a "className", such as { "className": "${example}" }`,
    );
  }
  const classPath = childPath(path, "className");
  const className = value.className;
  const expected = `a className such as "${example}"`;
  if (className === undefined || (typeof className === "string" && className.trim() === "")) {
    const found = className === undefined ? "no className" : describeValue(className);
    throw configError("CONFIG_ERR_MISSING", source, classPath, found, expected, path);
  }
  if (typeof className !== "string") {
    throw configError("CONFIG_ERR_TYPE", source, classPath, describeValue(className), expected);
  }
  const raw: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key !== "className") setOwn(raw, key, item);
  }
  return { className, path, raw };
}

/**
 * Reads a list of slots; an absent list becomes `fallback`, while `[]` stays empty.
 *
 * @throws {CONFIG_ERR_TYPE} the list is not an array, or an item is not a slot
 */
export function readSlotList(
  value: unknown,
  path: string,
  source: ErrorSource,
  example: string,
  fallback: readonly string[],
): Slot[] {
  if (value === undefined) return defaultSlots(fallback, path);
  if (!Array.isArray(value)) {
    throw configError(
      "CONFIG_ERR_TYPE",
      source,
      path,
      describeValue(value),
      `an array of objects with a "className", such as [{ "className": "${example}" }]`,
    );
  }
  return value.map((item, i) => readSlot(item, childPath(path, i), source, example));
}
