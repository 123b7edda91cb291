/**
 * Anti-entropy: two members compare digests of their stores (`digest.ts`) and exchange only the
 * sessions and tombstones that differ, in both directions, in bounded messages. It runs when a
 * member (re)appears and periodically (`interval`, with jitter), so replicas converge after a
 * partition even when deltas were lost while the members were apart.
 *
 * One round, started by A with B:
 * 1. A → B `ae`: A's bucket hashes.
 * 2. B → A `aes`: B's per-session hashes in the buckets that differ (at most MAX_ENTRIES).
 * 3. A → B `aed`: A's copies of what differs (whole sessions, tombstones) and the ids it wants.
 * 4. B → A `aed`: B's copies of the wanted ids.
 * Versions decide on apply, so both sides end with the newer of each attribute, and a tombstone
 * removes the session on either side. B keeps no state between messages.
 *
 * @module
 */
import type { Cancel } from "../../../src/interfaces/clock.ts";
import type { Member } from "../../../src/interfaces/member.ts";
import type { ManagerBase } from "../../../src/session/manager_components.ts";
import { estimateSize } from "../../../src/session/bundle.ts";
import { checkDelta } from "../../../src/session/wire_check.ts";
import type { SessionDelta, SessionStore, StoredSession } from "../../../src/session/store.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { bucketOf, BUCKETS, digest, entries } from "./digest.ts";
import { planChunks } from "./state_transfer.ts";
import { SendOptions } from "../../../src/interfaces/message.ts";
import type { EntropyBody } from "./wire.ts";

/** Acknowledged after processing: a failed send is known, and chunks do not pile up. */
const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;
/** Most ids (hashes, tombstones or wanted ids) one message lists: about 700 KB of hashes. */
export const MAX_ENTRIES = 16_384;
/** How long an initiator waits for `aes`. */
const ROUND_TIMEOUT_MS = 10_000;
/** Pause between the rounds that follow a repair, and the most of them in a row. */
const REPEAT_MS = 250;
const MAX_REPEATS = 200;

/** Figures for the metrics. */
export interface EntropyCounters {
  /** Rounds this node started that got an answer. */
  rounds: number;
  /** Sessions and tombstones received that changed this node's store. */
  repaired: number;
  /** Estimated bytes of anti-entropy messages this node sent. */
  bytes: number;
}

export interface AntiEntropyOptions extends ManagerBase {
  store: SessionStore;
  /** The fields that make a message this manager's (`{ cdm: 1, ctx }`). */
  header: Record<string, unknown>;
  /** ms between periodic rounds (with ±25 % jitter); 0: only when a member (re)appears. */
  interval: number;
  /** ms a received tombstone is kept at most. */
  maxPartitionTime: number;
  /** Applies a copy from a peer; true when it changed the store. */
  apply(delta: SessionDelta): boolean;
  /** Ends a session a peer holds a tombstone of, kept until `until`; true when new here. */
  gone(base: string, until: number): boolean;
}

const BASE = /^[0-9a-f]{32}$/;

function refused(what: string): ConclaveError {
  return new ConclaveError("SESSION_ERR_REPLICATION", `Refused an anti-entropy message: ${what}`);
}

function checkQ(q: unknown): asserts q is string {
  if (typeof q !== "string" || q.length === 0 || q.length > 64) throw refused("round id");
}

function checkList(list: unknown, what: string, max = MAX_ENTRIES): asserts list is unknown[] {
  if (!Array.isArray(list) || list.length > max) throw refused(`${what} is not a bounded list`);
}

/** Throws SESSION_ERR_REPLICATION unless `m` is a well-formed anti-entropy message. */
export function checkEntropy(m: EntropyBody, now: number): void {
  checkQ(m.q);
  if (m.t === "ae") {
    const ok = Array.isArray(m.h) && m.h.length === BUCKETS &&
      m.h.every((h) => Number.isInteger(h) && h >= 0 && h < 2 ** 32);
    if (!ok) throw refused(`a digest is not ${BUCKETS} 32-bit hashes`);
  } else if (m.t === "aes") {
    checkList(m.s, "summaries", BUCKETS);
    let count = 0;
    for (const entry of m.s) {
      if (!Array.isArray(entry) || entry.length !== 2 || !Number.isInteger(entry[0])) {
        throw refused("a summary is not [bucket, entries]");
      }
      checkList(entry[1], "a bucket's entries");
      count += entry[1].length;
      if (count > MAX_ENTRIES) throw refused("too many entries");
      for (const e of entry[1]) {
        if (
          !Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string" || !BASE.test(e[0]) ||
          !Number.isInteger(e[1]) || bucketOf(e[0]) !== entry[0]
        ) throw refused("an entry is not [id, hash] of its bucket");
      }
    }
  } else {
    checkList(m.d, "sessions");
    checkList(m.g, "tombstones");
    if (m.w !== undefined) checkList(m.w, "wanted ids");
    for (const d of m.d) checkDelta(d, now);
    for (const g of m.g) {
      if (
        !Array.isArray(g) || g.length !== 2 || !BASE.test(String(g[0])) || !Number.isFinite(g[1])
      ) {
        throw refused("a tombstone is not [id, until]");
      }
    }
    for (const w of m.w ?? []) if (typeof w !== "string" || !BASE.test(w)) throw refused("an id");
  }
}

interface Pending {
  q: string;
  cancel: Cancel;
  done: (differences: number) => void;
  result: Promise<number>;
}

/** One manager's anti-entropy, both as initiator and as responder. */
export class AntiEntropy {
  readonly counters: EntropyCounters = { rounds: 0, repaired: 0, bytes: 0 };
  readonly #o: AntiEntropyOptions;
  /** The round in flight with each peer, by member id. */
  readonly #pending = new Map<string, Pending>();
  /** Peers with repeated rounds under way. */
  readonly #repeating = new Set<string>();
  #timer: Cancel | undefined;
  #running = false;

  constructor(options: AntiEntropyOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    this.#timer?.();
    this.#timer = undefined;
    for (const p of this.#pending.values()) p.cancel();
    this.#pending.clear();
  }

  #schedule(): void {
    if (!this.#running || this.#o.interval <= 0) return;
    const wait = this.#o.interval * (0.75 + Math.random() / 2);
    this.#timer = this.#o.clock.setTimeout(() => {
      const members = this.#o.channel.getMembers();
      if (members.length > 0) this.repair(members[Math.floor(Math.random() * members.length)]);
      this.#schedule();
    }, wait);
  }

  /** Rounds with `member` until they find nothing to repair (a member (re)appeared, or a tick). */
  repair(member: Member): void {
    const key = member.id.hex;
    if (!this.#running || this.#repeating.has(key)) return;
    this.#repeating.add(key);
    void (async () => {
      try {
        for (let i = 0; i < MAX_REPEATS && this.#running; i++) {
          if (await this.round(member) <= 0) return;
          await new Promise<void>((resolve) => this.#o.clock.setTimeout(resolve, REPEAT_MS));
        }
      } finally {
        this.#repeating.delete(key);
      }
    })();
  }

  /**
   * One round with `member`: the number of sessions found different (what this node sent or
   * asked for), 0 when the stores agree, -1 when the member did not answer.
   */
  round(member: Member): Promise<number> {
    const key = member.id.hex;
    const pending = this.#pending.get(key);
    if (pending) return pending.result; // one round at a time with each peer
    const q = crypto.randomUUID();
    let finish!: (n: number) => void;
    const result = new Promise<number>((resolve) => {
      finish = (n: number) => {
        cancel();
        if (this.#pending.get(key)?.q === q) this.#pending.delete(key);
        resolve(n);
      };
    });
    const cancel = this.#o.clock.setTimeout(() => finish(-1), ROUND_TIMEOUT_MS);
    this.#pending.set(key, { q, cancel, done: finish, result });
    this.#send(member, { t: "ae", q, h: digest(this.#o.store) }).catch(() => finish(-1));
    return result;
  }

  /** Handles one anti-entropy message (checked whole before anything is applied). */
  received(m: EntropyBody, from: Member): void {
    checkEntropy(m, Date.now());
    if (m.t === "ae") this.#answerDigest(m.q, m.h, from);
    else if (m.t === "aes") this.#compare(m, from);
    else this.#merge(m, from);
  }

  /** Lists this node's hashes in the buckets where the peer's digest differs. */
  #answerDigest(q: string, theirs: number[], from: Member): void {
    const mine = digest(this.#o.store);
    const differing = new Set<number>();
    for (let b = 0; b < BUCKETS; b++) if (mine[b] !== theirs[b]) differing.add(b);
    const byBucket = new Map<number, [string, number][]>([...differing].map((b) => [b, []]));
    for (const [base, h] of entries(this.#o.store, differing)) {
      byBucket.get(bucketOf(base))!.push([base, h]);
    }
    const s: [number, [string, number][]][] = [];
    let count = 0;
    let more = false;
    for (const [b, list] of byBucket) {
      if (count + list.length > MAX_ENTRIES) {
        more = true; // the next round carries the rest
        continue;
      }
      s.push([b, list]);
      count += list.length;
    }
    const reply: EntropyBody = more ? { t: "aes", q, s, more: true } : { t: "aes", q, s };
    // After this message's ack: the asker's receive queue must not wait on us.
    queueMicrotask(() => void this.#send(from, reply).catch(() => {}));
  }

  /** The initiator's step 3: sends what differs and asks for what the peer holds differently. */
  #compare(m: Extract<EntropyBody, { t: "aes" }>, from: Member): void {
    const pending = this.#pending.get(from.id.hex);
    if (!pending || pending.q !== m.q) return;
    this.counters.rounds++;
    const theirs = new Map<string, number>();
    for (const [, list] of m.s) for (const [base, h] of list) theirs.set(base, h);
    const mine = entries(this.#o.store, new Set(m.s.map(([b]) => b)));
    const send: string[] = [];
    const want: string[] = [];
    for (const [base, h] of mine) if (theirs.get(base) !== h) send.push(base);
    for (const [base, h] of theirs) {
      if (mine.get(base) !== h && !this.#o.store.isTombstoned(base)) want.push(base);
    }
    const differences = new Set([...send, ...want]).size + (m.more ? 1 : 0);
    this.#sendCopies(from, m.q, send, want.length > 0 ? want.slice(0, MAX_ENTRIES) : undefined)
      .catch((err) => this.#o.logger.debug({ err: (err as Error).message }, "Anti-entropy send"))
      .finally(() => pending.done(differences));
  }

  /** Applies a peer's copies, and answers the ids it wants. */
  #merge(m: Extract<EntropyBody, { t: "aed" }>, from: Member): void {
    for (const d of m.d) if (this.#o.apply(d)) this.counters.repaired++;
    const now = this.#o.clock.now();
    for (const [base, until] of m.g) {
      if (until > now && this.#o.gone(base, Math.min(until, now + this.#o.maxPartitionTime))) {
        this.counters.repaired++;
      }
    }
    if (m.w && m.w.length > 0) {
      const wanted = m.w;
      queueMicrotask(() => void this.#sendCopies(from, m.q, wanted, undefined).catch(() => {}));
    }
  }

  /** This node's copies of `bases` (sessions and tombstones) to `to`, in bounded messages. */
  async #sendCopies(
    to: Member,
    q: string,
    bases: readonly string[],
    want: string[] | undefined,
  ): Promise<void> {
    const store = this.#o.store;
    const tombstones = new Map(store.tombstones());
    const sessions: StoredSession[] = [];
    const g: [string, number][] = [];
    for (const base of bases) {
      const until = tombstones.get(base);
      if (until !== undefined) g.push([base, until]);
      else {
        const session = store.get(base);
        if (session) sessions.push(session);
      }
    }
    const plan = planChunks(sessions);
    const chunks = Math.max(plan.length, Math.ceil(g.length / MAX_ENTRIES), want ? 1 : 0);
    for (let n = 0; n < chunks; n++) {
      const d = (plan[n] ?? []).map(([i, names]) => {
        const full = store.full(sessions[i]);
        return names ? { ...full, attrs: full.attrs.filter(([name]) => names.has(name)) } : full;
      });
      const tombs = g.slice(n * MAX_ENTRIES, (n + 1) * MAX_ENTRIES);
      const body: EntropyBody = n === 0 && want ? { t: "aed", q, d, g: tombs, w: want } : {
        t: "aed",
        q,
        d,
        g: tombs,
      };
      await this.#send(to, body);
    }
  }

  #send(to: Member, body: EntropyBody): Promise<unknown> {
    const message = { ...this.#o.header, ...body };
    this.counters.bytes += estimateSize(message, Number.MAX_SAFE_INTEGER);
    return this.#o.channel.send([to], message, SYNC);
  }
}
