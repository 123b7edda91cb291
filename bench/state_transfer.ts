/**
 * Where DeltaManager's state transfer spends its CPU, stage by stage, in one process: N sessions
 * shaped like `bench/http/app.ts`'s `/seed` (a 1 KiB string, a timestamp, a counter) in a store,
 * then the sender's work chunk by chunk (chunk messages, CBOR encoding, the channel secret's
 * AES-GCM records), then the joiner's, chunk by chunk (records opened, CBOR decoding with its
 * scan, checks, apply). The garbage collector's time lands in the stage that triggered it.
 * The end-to-end figure over the network is `bench/http.ts --parts scale`; this one says which
 * stage to look at. It prints numbers; it asserts nothing.
 *
 * ```sh
 * node --expose-gc --import tsx bench/state_transfer.ts [--sessions 100000] [--rounds 5] [--form 1]
 * node_modules/.bin/deno run -A --v8-flags=--expose-gc bench/state_transfer.ts
 * node_modules/.bin/bun bench/state_transfer.ts
 * ```
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import process from "node:process";
import { decodeValue, encodeValue } from "../src/kernel/codec.ts";
import { SessionStore, StoredSession } from "../src/session/store.ts";
import { newSessionId } from "../src/session/ids.ts";
import { CipherState } from "../src/wire/noise/cipher_state.ts";
import { RecordOpener, RecordSealer } from "../src/wire/secure/records.ts";
import {
  chunkMessages,
  StateTransfer,
  type TransferCounters,
} from "../plugins/manager/delta/state_transfer.ts";
import type { StateChunk } from "../plugins/manager/delta/wire.ts";
import type { ManagerBase } from "../src/session/manager_components.ts";
import { benchFlags } from "./lib/flags.ts";
import { collectGarbage } from "./lib/gc.ts";
import { fixed, median } from "./lib/stats.ts";

const flags = benchFlags(process.argv.slice(2));
const sessions = flags.number("sessions", 100_000);
const rounds = flags.number("rounds", 5);
/** `--form 1`: the first chunk form, as to a joiner that predates the compact one. */
const compact = flags.number("form", 2) >= 2;
const KIB = 1024;

function senderStore(): SessionStore {
  const store = new SessionStore(randomBytes(16).toString("hex"));
  for (let i = 0; i < sessions; i++) {
    const session = new StoredSession(newSessionId("n1"), Date.now(), 1800);
    session.attributes.set("data", randomBytes(KIB / 2).toString("hex"));
    session.attributes.set("t", performance.now() + Date.now());
    session.attributes.set("n", 1);
    session.unsent = true;
    store.add(session);
    store.takeDelta(session);
  }
  return store;
}

const noop = () => {};
const logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  isLevelEnabled: () => false,
  child: () => logger,
};

function joiner(store: SessionStore): StateTransfer {
  const counters: TransferCounters = { transfers: 0, transferFailures: 0, transferMs: 0 };
  const options = { name: "/", logger, stateTransferTimeout: 60 } as unknown as
    & ManagerBase
    & { stateTransferTimeout: number };
  return new StateTransfer(options, store, counters);
}

const times: Record<string, number[]> = {};

/** Adds the time `f` takes to `stage`'s figure of this round. */
let round = 0;
const timed = <T>(stage: string, f: () => T): T => {
  const t0 = performance.now();
  const out = f();
  const figures = times[stage] ??= [];
  figures[round] = (figures[round] ?? 0) + performance.now() - t0;
  return out;
};

for (; round < rounds; round++) {
  // The sender's work, chunk by chunk, as it streams them; the sealed records are kept, the
  // sender's store dropped: the joiner's heap then holds what a joining node's would.
  let source: SessionStore | undefined = senderStore();
  const key = randomBytes(32);
  const sealer = new RecordSealer(new CipherState(key));
  const sealed: Uint8Array[] = [];
  let bytes = 0;
  let chunks = 0;
  let messages: Generator<StateChunk> | undefined = chunkMessages(source, "/", "q", compact);
  source = undefined;
  for (;;) {
    const next = timed("sender: chunk message", () => messages!.next());
    if (next.done) break;
    const encoded = timed("sender: encode", () => encodeValue(next.value));
    bytes += encoded.length;
    chunks++;
    sealed.push(timed("records: seal", () => sealer.seal([encoded])));
  }
  messages = undefined;
  collectGarbage();
  // The joiner's, chunk by chunk: each is opened, decoded, checked and applied before the next.
  const target = new SessionStore(randomBytes(16).toString("hex"));
  const transfer = joiner(target);
  const opened: Uint8Array[] = [];
  const opener = new RecordOpener(new CipherState(key), (p) => opened.push(p));
  for (const records of sealed) {
    timed("records: open", () => opener.push(records));
    const plaintext = opened.length === 1 ? opened[0] : Buffer.concat(opened);
    opened.length = 0;
    const chunk = timed("joiner: decode", () => decodeValue(plaintext)) as StateChunk;
    timed("joiner: check+apply", () => transfer.received(chunk));
  }
  if (target.size !== sessions) throw new Error(`joiner holds ${target.size} of ${sessions}`);
  if (round === 0) {
    console.log(
      `${sessions} sessions, ${chunks} chunks, ${fixed(bytes / 1e6, 1)} MB encoded ` +
        `(${fixed(bytes / sessions, 0)} B per session), form ${compact ? 2 : 1}`,
    );
  }
}
let sum = 0;
for (const [stage, ms] of Object.entries(times)) {
  const m = median(ms);
  sum += m;
  console.log(
    `${stage.padEnd(24)} ${fixed(m, 0).padStart(6)} ms  ${
      fixed((sessions * KIB) / 1e6 / (m / 1000), 0).padStart(5)
    } MB/s`,
  );
}
console.log(
  `${"all stages".padEnd(24)} ${fixed(sum, 0).padStart(6)} ms  ${
    fixed((sessions * KIB) / 1e6 / (sum / 1000), 0).padStart(5)
  } MB/s`,
);
