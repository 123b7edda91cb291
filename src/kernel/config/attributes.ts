/**
 * Checks one slot's attributes against an `AttributeSchema`: types, ranges, choices, defaults, and
 * one warning per slot for the attributes the schema does not name.
 *
 * @module
 */
import { describeValue } from "../../errors.ts";
import type { AttributeSchema, AttributeSpec, InitOf } from "../../interfaces/attributes.ts";
import { configError, isPlainObject, setOwn } from "./config_error.ts";
import { closest } from "../suggest.ts";
import { childPath } from "./json.ts";
import type { AttributeContext } from "./types.ts";

// The JSON number grammar: a substituted "4000" becomes 4000, but "0x10" or "4e" stay errors.
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * Checks `raw` (a slot's attributes; `className` is skipped) against `schema` and returns the
 * attributes with defaults filled in. Strings become numbers or booleans only when they came from a
 * `${...}` substitution: in the file itself, `"4000"` for a port is a mistake worth reporting.
 *
 * @throws {CONFIG_ERR_TYPE} a value of the wrong type
 * @throws {CONFIG_ERR_RANGE} a value outside its range or choices
 * @throws {CONFIG_ERR_UNKNOWN_ATTRIBUTE} an attribute the schema does not name, with `strict`
 */
export function validateAttributes(
  raw: Readonly<Record<string, unknown>>,
  schema: AttributeSchema,
  ctx: AttributeContext,
): Record<string, unknown> {
  if (!isPlainObject(raw)) {
    throw configError("CONFIG_ERR_TYPE", ctx, ctx.path, describeValue(raw), "an object");
  }
  checkUnknown(raw, schema, ctx);
  const result: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (value !== undefined) {
      setOwn(result, name, checkValue(value, spec, childPath(ctx.path, name), ctx));
    } else if (spec.default !== undefined) {
      // A copy, so that no two slots share one mutable default.
      setOwn(result, name, structuredClone(spec.default));
    }
  }
  return result;
}

/**
 * Every attribute of `schema` at its default (`undefined` where it has none), unchecked and
 * uncopied: for building a plugin in code from its defaults.
 */
export function attributeDefaults<S extends AttributeSchema>(schema: S): InitOf<S> {
  return Object.fromEntries(
    Object.entries(schema).map(([name, spec]) => [name, spec.default]),
  ) as InitOf<S>;
}

/** What a value of this spec looks like, for "expected": `an integer from 1 to 65535`. */
export function describeSpec(spec: AttributeSpec): string {
  switch (spec.type) {
    case "string":
      return spec.enum
        ? `one of ${spec.enum.map((v) => JSON.stringify(v)).join(", ")}`
        : "a string";
    case "integer":
    case "number":
      return `${spec.type === "integer" ? "an integer" : "a number"}${describeRange(spec)}`;
    case "boolean":
      return "true or false";
    case "object":
      return "an object";
    case "array":
      return "an array";
    case "any":
      return "any value";
  }
}

function describeRange(spec: { min?: number; max?: number }): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return ` of at least ${spec.min}`;
  if (spec.max !== undefined) return ` of at most ${spec.max}`;
  return "";
}

function checkValue(value: unknown, spec: AttributeSpec, path: string, ctx: AttributeContext) {
  const fail = (code: "CONFIG_ERR_TYPE" | "CONFIG_ERR_RANGE") =>
    configError(code, ctx, path, describeValue(value), describeSpec(spec));
  const coercible = typeof value === "string" && ctx.substituted.has(path);
  switch (spec.type) {
    case "string":
      if (typeof value !== "string") throw fail("CONFIG_ERR_TYPE");
      if (spec.enum && !spec.enum.includes(value)) throw fail("CONFIG_ERR_RANGE");
      return value;
    case "boolean": {
      const result = coercible ? toBoolean(value) : value;
      if (typeof result !== "boolean") throw fail("CONFIG_ERR_TYPE");
      return result;
    }
    case "integer":
    case "number": {
      const result = coercible && NUMBER.test(value.trim()) ? Number(value) : value;
      if (typeof result !== "number" || !Number.isFinite(result)) throw fail("CONFIG_ERR_TYPE");
      if (spec.type === "integer" && !Number.isInteger(result)) throw fail("CONFIG_ERR_TYPE");
      if (spec.min !== undefined && result < spec.min) throw fail("CONFIG_ERR_RANGE");
      if (spec.max !== undefined && result > spec.max) throw fail("CONFIG_ERR_RANGE");
      return result;
    }
    case "object":
      if (!isPlainObject(value)) throw fail("CONFIG_ERR_TYPE");
      return value;
    case "array":
      if (!Array.isArray(value)) throw fail("CONFIG_ERR_TYPE");
      return value;
    case "any":
      return value;
  }
}

function toBoolean(text: string): unknown {
  const trimmed = text.trim();
  return trimmed === "true" ? true : trimmed === "false" ? false : text;
}

function checkUnknown(
  raw: Readonly<Record<string, unknown>>,
  schema: AttributeSchema,
  ctx: AttributeContext,
): void {
  const unknown = Object.keys(raw).filter((key) =>
    key !== "className" && raw[key] !== undefined && !Object.hasOwn(schema, key)
  );
  if (unknown.length === 0) return;
  const accepted = Object.keys(schema).sort();
  const names = unknown.map((key) => JSON.stringify(key)).join(", ");
  const plural = unknown.length === 1 ? "attribute" : "attributes";
  const didYouMean = typos(unknown, accepted);
  const hint = Object.entries(didYouMean).map(([typo, name]) =>
    unknown.length === 1
      ? JSON.stringify(name)
      : `${JSON.stringify(name)} for ${JSON.stringify(typo)}`
  ).join(", ");
  const question = hint === "" ? "" : ` (did you mean ${hint}?)`;
  if (ctx.strict) {
    const first = childPath(ctx.path, unknown[0]);
    const expected = accepted.length === 0
      ? "no attributes here"
      : `only the accepted attributes: ${accepted.join(", ")}${question}`;
    throw configError(
      "CONFIG_ERR_UNKNOWN_ATTRIBUTE",
      ctx,
      first,
      `unknown ${plural} ${names}`,
      expected,
    );
  }
  const position = ctx.positions.get(childPath(ctx.path, unknown[0])) ??
    ctx.positions.get(ctx.path);
  const where = position ? `${ctx.file}:${position.line}:${position.column}` : ctx.file;
  const slot = ctx.path === "" ? "the top level" : ctx.path;
  ctx.warn({
    code: "CONFIG_ERR_UNKNOWN_ATTRIBUTE",
    message: `Ignoring unknown ${plural} ${names} at ${slot} in ${where}; accepted: ${
      accepted.length === 0 ? "none" : accepted.join(", ")
    }${question}`,
    file: ctx.file,
    path: ctx.path,
    line: position?.line,
    column: position?.column,
    unknown,
    accepted,
    didYouMean,
  });
}

/** Each unknown name that is a likely typo of an accepted one, with that name. */
function typos(unknown: readonly string[], accepted: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of unknown) {
    const match = closest(name, accepted);
    if (match !== undefined) setOwn(result, name, match);
  }
  return result;
}
