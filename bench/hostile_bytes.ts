/**
 * Hostile bytes benchmark (issue 13): how long one message a peer crafts holds the event loop in
 * the decoders. It prints numbers; it asserts nothing (the tests assert that each attack is
 * refused).
 *
 * ```sh
 * node --import tsx bench/hostile_bytes.ts
 * node_modules/.bin/deno run -A bench/hostile_bytes.ts
 * node_modules/.bin/bun bench/hostile_bytes.ts
 * ```
 * Flag: `--rounds N` (default 5; the median is printed).
 *
 * Two tables. **Refused**: the attacks of issue 13, each decoded as the receiver would (header,
 * payload, membership datagram): ms until the coded error. **Accepted worst cases**: for each kind
 * of item, the largest payload of it that `DEFAULT_SCAN_LIMITS` admit, decoded as the receiver
 * does (the scan, then cbor-x) and checked as on apply (`checkValue`), next to cbor-x alone, so
 * the cost of the scan shows. A typical state-transfer chunk (500 sessions of 1 KiB) closes it.
 *
 * @module
 */
import process from "node:process";
import { Encoder } from "cbor-x";
import { decodeValue, encodeValue } from "../src/kernel/codec.ts";
import { DEFAULT_SCAN_LIMITS, scanCbor } from "../src/kernel/cbor_scan.ts";
import { decodeMembership } from "../src/membership/codec.ts";
import { checkValue } from "../src/session/values.ts";
import {
  bignum,
  bignumHeader,
  cycle,
  instances,
  nested,
  records,
} from "../src/testing/hostile_bytes.ts";
import { decodeHeader } from "../src/wire/envelope.ts";
import { fixed, median, table } from "./lib/stats.ts";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROUNDS = flag("rounds", 5);
const plainCbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** Median ms of `f` over the rounds; whether it threw (the last round's outcome). */
function time(f: () => void): { ms: number; outcome: string } {
  const ms: number[] = [];
  let outcome = "";
  try {
    f(); // warm-up, not counted
  } catch { /* counted below */ }
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    try {
      f();
      outcome = "accepted";
    } catch (e) {
      outcome = (e as { code?: string }).code ?? `threw ${(e as Error).name}`;
    }
    ms.push(performance.now() - start);
  }
  return { ms: median(ms), outcome };
}

const header = (bytes: Uint8Array) => () => decodeHeader(bytes);
const payload = (bytes: Uint8Array) => () => decodeValue(bytes);
const refused: [string, Uint8Array, (bytes: Uint8Array) => () => unknown][] = [
  ["64 KB bignum in a header", bignumHeader(65_000), header],
  ["64 KB bignum as a header", bignum(65_000), header],
  ["160 KB bignum in a payload", bignum(160 * 1024), payload],
  ["8 MiB bignum in a payload", bignum(8 << 20), payload],
  ["4 KB bignum in a membership datagram", bignum(4000), (b) => () => decodeMembership(b)],
  ["cycle (tags 28/29)", cycle(), payload],
  ["Error (tag 27)", instances.Error(), payload],
  ["RegExp (tag 27)", instances.RegExp(), payload],
  ["Float64Array (tag 86)", instances.Float64Array(), payload],
  ["records (tag 57343)", records(), payload],
  ["1M nested arrays", nested(1_000_000), payload],
  ["array claiming 2^64 items", Uint8Array.from([0x9b, ...Array(8).fill(255)]), payload],
];

const rows = [["refused input", "bytes", "ms", "outcome"]];
for (const [name, bytes, decoder] of refused) {
  const { ms, outcome } = time(decoder(bytes));
  rows.push([name, String(bytes.length), fixed(ms, 3), outcome]);
}
console.log(`Refused (median of ${ROUNDS})\n${table(rows)}\n`);

const { maxItems, maxContainers } = DEFAULT_SCAN_LIMITS;

/**
 * The longest array of `item` the limits admit: `items` and `containers` are what one copy
 * counts (its heads, and its arrays, maps, map entries and tags).
 */
function arrayOf(item: number[], items: number, containers: number): Uint8Array {
  const count = Math.floor(
    Math.min((maxItems - 1) / items, containers ? (maxContainers - 1) / containers : Infinity),
  );
  const out = new Uint8Array(5 + count * item.length);
  out.set([0x9a, count >>> 24, (count >> 16) & 0xff, (count >> 8) & 0xff, count & 0xff]);
  for (let i = 0; i < count; i++) out.set(item, 5 + i * item.length);
  return out;
}

/** The biggest map (plain or tag 259) of distinct 4-character keys to 0 the limits admit. */
function mapOf(tagged: boolean): Uint8Array {
  const count = Math.min(Math.floor((maxItems - 2) / 2), maxContainers - 3);
  const prefix = tagged ? [0xd9, 0x01, 0x03] : [];
  const out = new Uint8Array(prefix.length + 5 + count * 6);
  out.set([...prefix, 0xba, count >>> 24, (count >> 16) & 0xff, (count >> 8) & 0xff, count & 0xff]);
  let at = prefix.length + 5;
  const text = new TextEncoder();
  for (let i = 0; i < count; i++) {
    out.set([0x64, ...text.encode(i.toString(36).padStart(4, "0")), 0], at);
    at += 6;
  }
  return out;
}

const worst: [string, Uint8Array][] = [
  ["small integers", arrayOf([0x00], 1, 0)],
  ["64-bit integers", arrayOf([0x1b, 1, 2, 3, 4, 5, 6, 7, 8], 1, 0)],
  ["floats", arrayOf([0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0], 1, 0)],
  ["one-byte strings", arrayOf([0x61, 0x61], 1, 0)],
  ["empty arrays", arrayOf([0x80], 1, 1)],
  ["empty maps (objects)", arrayOf([0xa0], 1, 1)],
  ["empty Uint8Arrays (tag 64)", arrayOf([0xd8, 0x40, 0x40], 2, 1)],
  ["Dates (tag 1)", arrayOf([0xc1, 0x00], 2, 1)],
  ["64-bit bignums (tag 2)", arrayOf([0xc2, 0x48, 1, 2, 3, 4, 5, 6, 7, 8], 2, 1)],
  ["empty Sets (tag 258)", arrayOf([0xd9, 0x01, 0x02, 0x80], 2, 2)],
  ["empty Maps (tag 259)", arrayOf([0xd9, 0x01, 0x03, 0xa0], 2, 2)],
  ["80-deep nests", arrayOf([...nested(79)], 80, 79)],
  ["object of distinct keys", mapOf(false)],
  ["Map of distinct keys", mapOf(true)],
];

const accepted = [[
  "largest accepted message of",
  "bytes",
  "scan ms",
  "decode ms",
  "check ms",
  "total ms",
  "cbor-x alone ms",
]];
for (const [name, bytes] of worst) {
  const scan = time(() => scanCbor(bytes, "CHANNEL_ERR_PAYLOAD", "payload"));
  let value: unknown;
  const all = time(() => value = decodeValue(bytes));
  const check = time(() => checkValue("v", value));
  const alone = time(() => plainCbor.decode(bytes));
  accepted.push([
    name,
    String(bytes.length),
    fixed(scan.ms, 2),
    all.outcome === "accepted" ? fixed(all.ms, 2) : all.outcome,
    check.outcome === "accepted" ? fixed(check.ms, 2) : check.outcome,
    fixed(all.ms + check.ms, 1),
    fixed(alone.ms, 2),
  ]);
}

// A state-transfer chunk as DeltaManager sends it: 500 sessions of a 1 KiB string and two numbers.
const hex = "0123456789abcdef".repeat(64);
const chunk = encodeValue({
  cdm: 1,
  ctx: "/",
  t: "state",
  q: "q",
  n: 0,
  total: 1,
  end: true,
  s: Array.from({ length: 500 }, (_, i) => ({
    id: `${i.toString(16).padStart(32, "0")}.node1`,
    created: Date.now(),
    accessed: Date.now(),
    interval: 1800,
    meta: [i * 3 + 1, "a1b2c3d4e5f60718293a4b5c6d7e8f90"],
    attrs: [["data", hex, [i * 3 + 2, "a1b2c3d4e5f60718293a4b5c6d7e8f90"]], [
      "t",
      Date.now(),
      [i * 3 + 3, "a1b2c3d4e5f60718293a4b5c6d7e8f90"],
    ]],
  })),
});
{
  const scan = time(() => scanCbor(chunk, "CHANNEL_ERR_PAYLOAD", "payload"));
  const all = time(() => decodeValue(chunk));
  const alone = time(() => plainCbor.decode(chunk));
  accepted.push([
    "state chunk, 500 x 1 KiB",
    String(chunk.length),
    fixed(scan.ms, 2),
    fixed(all.ms, 2),
    "",
    fixed(all.ms, 1),
    fixed(alone.ms, 2),
  ]);
}
console.log(
  `Accepted worst cases: the largest message of each kind the limits admit (median of ${ROUNDS})
${table(accepted)}`,
);
