/**
 * What a session attribute may hold: data CBOR carries as data. Checked at `set` time, so a bad
 * value fails in the request that set it, naming the attribute and the path inside the value,
 * never later at replication.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";

const EXPECTED =
  "data: null, boolean, number, bigint, string, Uint8Array, Date, array, plain object, Map or Set";

function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (value === undefined) return "undefined";
  const proto = Object.getPrototypeOf(value);
  const name = proto?.constructor?.name;
  return name ? `an instance of ${name}` : "an object without a prototype";
}

function fail(name: string, path: string, value: unknown): never {
  throw new ConclaveError(
    "SESSION_ERR_VALUE",
    `Session attribute ${JSON.stringify(name)} cannot be replicated: at ${path} found ${
      describe(value)
    }; expected ${EXPECTED}`,
  );
}

/**
 * Throws SESSION_ERR_VALUE unless `value` is replicable data. Cycles are refused too (CBOR would
 * recurse forever).
 */
export function checkValue(name: string, value: unknown): void {
  const seen = new Set<object>();
  const walk = (v: unknown, path: string): void => {
    if (v === null || typeof v === "boolean" || typeof v === "string" || typeof v === "bigint") {
      return;
    }
    if (typeof v === "number") return;
    if (v === undefined) {
      if (path === name) fail(name, path, v); // top level: use delete()
      return;
    }
    if (typeof v !== "object") fail(name, path, v);
    if (v instanceof Uint8Array && v.constructor === Uint8Array) return;
    if (v instanceof Date) return;
    if (seen.has(v)) {
      throw new ConclaveError(
        "SESSION_ERR_VALUE",
        `Session attribute ${
          JSON.stringify(name)
        } cannot be replicated: at ${path} the value refers back to itself; expected a tree of ${EXPECTED}`,
      );
    }
    seen.add(v);
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (v instanceof Map) {
      let i = 0;
      for (const [k, item] of v) {
        walk(k, `${path}.<key ${i}>`);
        walk(item, `${path}.get(${JSON.stringify(typeof k === "string" ? k : i)})`);
        i++;
      }
    } else if (v instanceof Set) {
      let i = 0;
      for (const item of v) walk(item, `${path}.<item ${i++}>`);
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) fail(name, path, v);
      for (const [k, item] of Object.entries(v)) {
        walk(item, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`);
      }
    }
    seen.delete(v);
  };
  walk(value, name);
}
