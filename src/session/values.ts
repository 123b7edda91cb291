/**
 * What a session attribute may hold: data CBOR carries as data. Checked at `set` time, so a bad
 * value fails in the request that set it, naming the attribute and the path inside the value,
 * never later at replication; and checked again, by the same function, on every value a peer
 * sends, so what a peer can store is exactly what `set` accepts.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import { DEFAULT_SCAN_LIMITS } from "../kernel/cbor_scan.ts";

/** Arrays, objects, Maps and Sets nested inside each other in one value. */
export const MAX_VALUE_DEPTH = 64;
/**
 * Items, and containers (arrays, objects and their entries, Maps and their entries, Sets, Dates
 * and Uint8Arrays), in one value: what one replication message may carry (`scanCbor`), less room
 * for the message around it.
 */
export const MAX_VALUE_ITEMS = DEFAULT_SCAN_LIMITS.maxItems - 4096;
export const MAX_VALUE_CONTAINERS = DEFAULT_SCAN_LIMITS.maxContainers - 1024;
const MAX_BIGINT = 2n ** 64n - 1n;
const MIN_BIGINT = -(2n ** 64n);

const EXPECTED = "data: null, boolean, number, bigint of at most 64 bits, string, Uint8Array, " +
  "Date, array, plain object, Map or Set";

function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (typeof value === "bigint") return "a bigint of more than 64 bits";
  if (value === undefined) return "undefined";
  const proto = Object.getPrototypeOf(value);
  const name = proto?.constructor?.name;
  return name ? `an instance of ${name}` : "an object without a prototype";
}

/** One step into a value: an index, a property, a Map key or value, a Set item. */
type Step = number | string | { key: number } | { get: unknown; i: number } | { item: number };

function formatPath(name: string, steps: readonly Step[]): string {
  let path = name;
  for (const s of steps) {
    if (typeof s === "number") path += `[${s}]`;
    else if (typeof s === "string") {
      path += /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
    } else if ("key" in s) path += `.<key ${s.key}>`;
    else if ("get" in s) path += `.get(${JSON.stringify(typeof s.get === "string" ? s.get : s.i)})`;
    else path += `.<item ${s.item}>`;
  }
  return path;
}

function refuse(name: string, steps: readonly Step[], found: string, expected: string): never {
  throw new ConclaveError(
    "SESSION_ERR_VALUE",
    `Session attribute ${JSON.stringify(name)} cannot be replicated: at ${
      formatPath(name, steps)
    } ${found}; expected ${expected}`,
  );
}

/**
 * Throws SESSION_ERR_VALUE unless `value` is replicable data: no class instance, no bigint beyond
 * 64 bits, no cycle, at most MAX_VALUE_DEPTH deep, MAX_VALUE_ITEMS items and
 * MAX_VALUE_CONTAINERS containers.
 */
export function checkValue(name: string, value: unknown): void {
  const type = typeof value;
  if (value === null || type === "string" || type === "number" || type === "boolean") return;
  if (value === undefined) refuse(name, [], "found undefined", EXPECTED);
  const steps: Step[] = [];
  const open = new Set<object>();
  let items = 0;
  let containers = 0;
  const walk = (v: unknown): void => {
    if (++items > MAX_VALUE_ITEMS) {
      refuse(name, steps, `found more than ${MAX_VALUE_ITEMS} items`, "a smaller value");
    }
    if (v === null || v === undefined) return; // undefined inside a value travels as such
    switch (typeof v) {
      case "boolean":
      case "string":
      case "number":
        return;
      case "bigint":
        if (v > MAX_BIGINT || v < MIN_BIGINT) refuse(name, steps, `found ${describe(v)}`, EXPECTED);
        return;
      case "object":
        break;
      default:
        refuse(name, steps, `found ${describe(v)}`, EXPECTED);
    }
    const o = v as object;
    // As scanCbor counts them: Map and Set are a tag and a container, Date and Uint8Array a
    // tag, and every entry of an object or Map counts too.
    const keys = Array.isArray(o) || o instanceof Map || o instanceof Set || o instanceof Date ||
        o instanceof Uint8Array
      ? undefined
      : Object.keys(o);
    containers += o instanceof Map ? 2 + o.size : o instanceof Set ? 2 : 1 + (keys?.length ?? 0);
    if (containers > MAX_VALUE_CONTAINERS) {
      refuse(
        name,
        steps,
        `found more than ${MAX_VALUE_CONTAINERS} arrays, objects, entries, Maps, Sets, Dates ` +
          "and Uint8Arrays",
        "a smaller value",
      );
    }
    if (o instanceof Uint8Array && o.constructor === Uint8Array) return;
    if (o instanceof Date) return;
    if (open.has(o)) {
      refuse(name, steps, "the value refers back to itself", `a tree of ${EXPECTED}`);
    }
    if (open.size >= MAX_VALUE_DEPTH) {
      refuse(name, steps, `found nesting deeper than ${MAX_VALUE_DEPTH}`, "a shallower value");
    }
    open.add(o);
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        steps.push(i);
        walk(o[i]);
        steps.pop();
      }
    } else if (o instanceof Map) {
      let i = 0;
      for (const [k, item] of o) {
        steps.push({ key: i });
        walk(k);
        steps[steps.length - 1] = { get: k, i };
        walk(item);
        steps.pop();
        i++;
      }
    } else if (o instanceof Set) {
      let i = 0;
      for (const item of o) {
        steps.push({ item: i++ });
        walk(item);
        steps.pop();
      }
    } else {
      const proto = Object.getPrototypeOf(o);
      if (proto !== Object.prototype && proto !== null) {
        refuse(name, steps, `found ${describe(o)}`, EXPECTED);
      }
      items += (keys as string[]).length;
      for (const k of keys as string[]) {
        // Decoders rename it (it would set the prototype): the value would not arrive as sent.
        if (k === "__proto__") refuse(name, steps, 'found an own property "__proto__"', EXPECTED);
        steps.push(k);
        walk((o as Record<string, unknown>)[k]);
        steps.pop();
      }
    }
    open.delete(o);
  };
  walk(value);
}
