/**
 * Bytes a hostile peer sends (issue 13): the inputs of the attack tests and of
 * `bench/hostile_bytes.ts`, built by hand so that no encoder stands between them and the decoder.
 *
 * @module
 */
import { Encoder } from "cbor-x";
import fc from "fast-check";
import type { ClusterNode } from "../kernel/node.ts";
import type { Member } from "../interfaces/member.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { MemoryNetwork } from "../../plugins/membership/memory/network.ts";

/** cbor-x as a careless peer would use it: records, shared references, class instances. */
const anything = new Encoder({ useRecords: true, structuredClone: true, mapsAsObjects: true });

const plain = new Encoder({ useRecords: false, mapsAsObjects: true });

function head(major: number, n: number): number[] {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** A tag-2 bignum of `bytes` bytes (cbor-x rebuilt it byte by byte: quadratic). */
export function bignum(bytes: number): Uint8Array {
  const out = new Uint8Array([...head(6, 2), ...head(2, bytes), ...new Uint8Array(bytes)]);
  out.fill(0xff, out.length - bytes);
  return out;
}

/** A channel header `[1, 1, bignum, ...]`: fits the u16 header length when `bytes` < 65500. */
export function bignumHeader(bytes: number): Uint8Array {
  const big = bignum(bytes);
  return new Uint8Array([...head(4, 6), 1, 1, ...big]);
}

/** `{ t: "delta", ..., d: <value> }` with `value` as raw CBOR bytes, for a DeltaManager. */
export function deltaWith(valueBytes: Uint8Array, ctx = "/"): Uint8Array {
  const text = (s: string) => [...head(3, s.length), ...new TextEncoder().encode(s)];
  return new Uint8Array([
    ...head(5, 4),
    ...text("cdm"),
    1,
    ...text("ctx"),
    ...text(ctx),
    ...text("t"),
    ...text("delta"),
    ...text("d"),
    ...valueBytes,
  ]);
}

/** A session delta setting attribute `name` to `value` (raw CBOR bytes) at `version`. */
export function deltaSetting(
  id: string,
  name: string,
  valueBytes: Uint8Array,
  version: readonly [number, string] = [1, "peer"],
): Uint8Array {
  const entries: [string, unknown][] = [
    ["id", id],
    ["created", 0],
    ["accessed", 0],
    ["interval", 1800],
    ["meta", [...version]],
  ];
  const enc = (v: unknown) => [...plain.encode(v)];
  return new Uint8Array([
    ...head(5, 6),
    ...entries.flatMap(([k, v]) => [...enc(k), ...enc(v)]),
    ...enc("attrs"),
    ...head(4, 1),
    ...head(4, 3),
    ...enc(name),
    ...valueBytes,
    ...enc([...version]),
  ]);
}

/** A value that refers to itself (tags 28/29). */
export function cycle(): Uint8Array {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return anything.encode(o);
}

/** Class instances cbor-x revives: Error and RegExp (tag 27), Float64Array (tag 86). */
export const instances: Record<string, () => Uint8Array> = {
  Error: () => anything.encode(new Error("injected")),
  RegExp: () => anything.encode(/(a+)+$/),
  Float64Array: () => anything.encode(new Float64Array([1, 2, 3])),
};

/** Records (structures), as cbor-x writes with `useRecords`. */
export function records(): Uint8Array {
  return anything.encode([{ a: 1, b: 2 }, { a: 3, b: 4 }]);
}

/** `depth` arrays, each inside the last, around 0. */
export function nested(depth: number): Uint8Array {
  const out = new Uint8Array(depth + 1).fill(0x81);
  out[depth] = 0;
  return out;
}

/**
 * Delivers `payload` from `from` to `to` on the in-memory `network` as a CBOR message (not raw
 * bytes), synchronized: resolves once processed, rejects with the receiver's error.
 */
export function deliverRaw(
  network: string,
  from: ClusterNode,
  to: Member,
  payload: Uint8Array,
): Promise<void> {
  const address = from.channel.getLocalMember();
  return MemoryNetwork.named(network).deliver(address, to, {
    options: 6,
    timestamp: Date.now(),
    uniqueId: UniqueId.random(),
    address,
    payload,
  });
}

/** `valid` bytes with 1 to 4 edits: a byte overwritten, inserted or deleted, or the end cut. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const edit = fc.tuple(fc.nat(), fc.nat(255), fc.integer({ min: 0, max: 3 }));
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([bytes, edits]) => {
    let out = [...bytes];
    for (const [where, byte, kind] of edits) {
      const at = where % (out.length + 1);
      if (kind === 0) out[at % Math.max(1, out.length)] = byte;
      else if (kind === 1) out.splice(at, 0, byte);
      else if (kind === 2) out.splice(at, 1);
      else out = out.slice(0, at);
    }
    return Uint8Array.from(out);
  });
}
