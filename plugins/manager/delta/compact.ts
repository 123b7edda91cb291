/**
 * The compact form of a state-transfer chunk (form 2), sent to joiners that ask for it: the
 * chunk's node ids and attribute names travel once each, in tables, and its sessions in one flat
 * list, so a joiner decodes no object, tuple or repeated string per session and version.
 *
 * `c` holds, per session: `id, created, accessed, interval, metaCounter, metaNode, count`, then
 * `count` attributes, each `ref, counter, node` and, unless removed, its value. `ref` is the
 * name's index in `names` times 2, plus 1 for a removed attribute; `metaNode` and `node` are
 * indices in `nodes`.
 *
 * @module
 */
import { ConclaveError } from "../../../src/errors.ts";
import { isSessionId } from "../../../src/session/ids.ts";
import {
  BASE_LENGTH,
  forEachVersion,
  maxPeerCounter,
  type SessionDelta,
  type SessionStore,
  type StoredSession,
} from "../../../src/session/store.ts";
import { checkValue } from "../../../src/session/values.ts";

/** The chunk form this node writes to joiners that read it, and the highest it reads. */
export const COMPACT_FORM = 2;

/** Sessions in the compact form, with their tables. */
export interface CompactSessions {
  nodes: string[];
  names: string[];
  c: unknown[];
}

/** Fields of a session before its attributes. */
const HEAD = 7;

/** Collects sessions in the compact form, one chunk's worth. */
export class CompactWriter {
  readonly nodes: string[] = [];
  readonly names: string[] = [];
  readonly c: unknown[] = [];
  readonly #nodeIndex = new Map<string, number>();
  readonly #nameIndex = new Map<string, number>();
  readonly #store: SessionStore;

  constructor(store: SessionStore) {
    this.#store = store;
  }

  /** Adds the whole session, or the part of it holding `only`. */
  add(session: StoredSession, only?: ReadonlySet<string>): void {
    const store = this.#store;
    const c = this.c;
    const meta = session.metaVersion;
    c.push(
      session.id,
      session.creationTime,
      session.lastAccessedTime,
      session.maxInactiveInterval,
      store.counterOf(meta),
      this.#node(store.nodeOf(meta)),
      0,
    );
    const countAt = c.length - 1;
    let count = 0;
    forEachVersion(session.versions, (name, v) => {
      if (session.isLocal(name) || (only && !only.has(name))) return;
      const present = session.attributes.has(name);
      c.push(
        this.#name(name) * 2 + (present ? 0 : 1),
        store.counterOf(v),
        this.#node(store.nodeOf(v)),
      );
      if (present) c.push(session.attributes.get(name));
      count++;
    });
    c[countAt] = count;
  }

  #node(node: string): number {
    return index(this.#nodeIndex, this.nodes, node);
  }

  #name(name: string): number {
    return index(this.#nameIndex, this.names, name);
  }
}

function index(indices: Map<string, number>, table: string[], key: string): number {
  let i = indices.get(key);
  if (i === undefined) {
    i = table.push(key) - 1;
    indices.set(key, i);
  }
  return i;
}

function bad(what: string): ConclaveError {
  return new ConclaveError(
    "SESSION_ERR_REPLICATION",
    `Refused a compact state chunk: ${what}`,
  );
}

function isIndex(x: unknown, length: number): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0 && x < length;
}

function isCounter(x: unknown, max: number): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0 && x <= max;
}

/**
 * Throws SESSION_ERR_REPLICATION unless `chunk` is well-formed throughout, with the checks
 * `checkDelta` makes of each session of the first form; returns the number of sessions.
 */
export function checkCompact(chunk: Partial<CompactSessions>, now = Date.now()): number {
  const { nodes, names, c } = chunk;
  if (!Array.isArray(nodes) || !Array.isArray(names) || !Array.isArray(c)) {
    throw bad("nodes, names or c is not a list");
  }
  for (const node of nodes) {
    if (typeof node !== "string" || node.length > 64) throw bad("a node id is not a short string");
  }
  for (const name of names) if (typeof name !== "string") throw bad("a name is not a string");
  const max = maxPeerCounter(now);
  const refs = names.length * 2;
  let sessions = 0;
  for (let at = 0; at < c.length;) {
    const id = c[at];
    if (!isSessionId(id)) {
      throw bad(`session id ${String(id).slice(0, 80)}`);
    }
    if (at + HEAD > c.length) throw bad(`session ${id} is cut short`);
    if (
      !Number.isFinite(c[at + 1]) || !Number.isFinite(c[at + 2]) || !Number.isFinite(c[at + 3])
    ) {
      throw bad(`session ${id}: created, accessed or interval is not a number`);
    }
    if (!isCounter(c[at + 4], max) || !isIndex(c[at + 5], nodes.length)) {
      throw bad(`session ${id}: its meta version is not a counter of 0 to ${max} and a node`);
    }
    const count = c[at + 6];
    if (!isIndex(count, c.length)) throw bad(`session ${id}: attribute count ${String(count)}`);
    at += HEAD;
    for (let i = 0; i < count; i++) {
      const ref = c[at];
      if (!isIndex(ref, refs) || at + 3 > c.length) throw bad(`session ${id}: attribute ${i}`);
      if (!isCounter(c[at + 1], max) || !isIndex(c[at + 2], nodes.length)) {
        throw bad(`session ${id}: the version of ${names[ref >> 1].slice(0, 80)}`);
      }
      at += 3;
      if (ref & 1) continue;
      if (at >= c.length) throw bad(`session ${id} is cut short`);
      try {
        checkValue(names[ref >> 1], c[at++]);
      } catch (err) {
        throw bad((err as Error).message);
      }
    }
    sessions++;
  }
  return sessions;
}

/**
 * Merges every session of a chunk `checkCompact` accepted into `store`, through `applyParsed`
 * with one delta refilled per session (it keeps none of it but the values).
 */
export function applyCompact(store: SessionStore, chunk: CompactSessions): void {
  const { nodes, names, c } = chunk;
  const meta: [number, string] = [0, ""];
  const attrs: SessionDelta["attrs"] = [];
  const delta: SessionDelta = { id: "", created: 0, accessed: 0, interval: 0, meta, attrs };
  for (let at = 0; at < c.length;) {
    delta.id = c[at] as string;
    delta.created = c[at + 1] as number;
    delta.accessed = c[at + 2] as number;
    delta.interval = c[at + 3] as number;
    meta[0] = c[at + 4] as number;
    meta[1] = nodes[c[at + 5] as number];
    const count = c[at + 6] as number;
    at += HEAD;
    for (let i = 0; i < count; i++) {
      const ref = c[at] as number;
      const attr = attrs[i] ??= ["", null, [0, ""]];
      const version = attr[2] as [number, string];
      attr[0] = names[ref >> 1];
      version[0] = c[at + 1] as number;
      version[1] = nodes[c[at + 2] as number];
      at += 3;
      if (ref & 1) {
        attr[1] = null;
        attr[3] = 1;
      } else {
        attr[1] = c[at++];
        if (attr.length !== 3) attr.length = 3; // setting a length costs a runtime call
      }
    }
    if (attrs.length !== count) attrs.length = count;
    // checkCompact parsed every id: its base is where it starts.
    store.applyParsed(delta, delta.id.slice(0, BASE_LENGTH));
  }
}

/** The flat list of each session of `c` (a list `CompactWriter` made). */
export function compactSessions(c: readonly unknown[]): unknown[][] {
  const out: unknown[][] = [];
  for (let at = 0; at < c.length;) {
    const start = at;
    const count = c[at + 6] as number;
    at += HEAD;
    for (let i = 0; i < count; i++) at += (c[at] as number) & 1 ? 3 : 4;
    out.push(c.slice(start, at));
  }
  return out;
}
