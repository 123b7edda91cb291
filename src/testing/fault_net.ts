/**
 * A network of manager channels whose messages wait in one queue until the test delivers, drops,
 * duplicates or reorders them: the adversary of the replication model test.
 *
 * @module
 */
import type { ManagerChannel } from "../interfaces/manager.ts";
import type { Member, MembershipListener } from "../interfaces/member.ts";
import { UniqueId } from "../interfaces/unique_id.ts";

interface Listener {
  accept?(message: unknown, sender: Member): boolean;
  messageReceived(message: unknown, sender: Member): void | Promise<void>;
}

/** A message in flight. */
export interface InFlight {
  from: number;
  to: number;
  value: unknown;
}

/** Endpoints numbered 0..n-1; every send is queued, nothing moves until the test says so. */
export class FaultNet {
  readonly members: Member[];
  readonly queue: InFlight[] = [];
  readonly #listeners: Listener[][];
  readonly #membership: MembershipListener[][];
  /** Whether endpoints see each other (false while managers start alone). */
  connected = false;
  /** Endpoints cut off: what they send or are sent is lost (a partition). */
  readonly isolated = new Set<number>();
  /** Messages a receiver refused (it threw). */
  refused = 0;

  constructor(n: number) {
    this.members = Array.from({ length: n }, (_, i) => ({
      id: UniqueId.random(),
      name: `m${i}`,
      host: "fault-net",
      port: i,
      jvmRoute: `n${i}`,
      domain: "",
      ready: true,
      payload: new Uint8Array(),
    }));
    this.#listeners = this.members.map(() => []);
    this.#membership = this.members.map(() => []);
  }

  channel(i: number): ManagerChannel {
    return {
      send: (to, value) => {
        // A copy, as a wire would make; the send is written at once (asynchronous sends).
        for (const m of to) {
          if (this.isolated.has(i) || this.isolated.has(m.port)) continue;
          this.queue.push({ from: i, to: m.port, value: structuredClone(value) });
        }
        return Promise.resolve();
      },
      getMembers: () => this.connected ? this.members.filter((_, j) => j !== i) : [],
      addChannelListener: (l) => void this.#listeners[i].push(l),
      addMembershipListener: (l) => void this.#membership[i].push(l),
    };
  }

  /** Hands message `index` of the queue to its receiver (removing it, unless `keep`). */
  async deliver(index: number, keep = false): Promise<void> {
    const m = this.queue[index];
    if (!m) return;
    if (!keep) this.queue.splice(index, 1);
    const sender = this.members[m.from];
    const value = keep ? structuredClone(m.value) : m.value;
    for (const l of this.#listeners[m.to]) {
      if (l.accept && !l.accept(value, sender)) continue;
      try {
        await l.messageReceived(value, sender);
      } catch {
        this.refused++;
      }
    }
  }

  drop(index: number): void {
    this.queue.splice(index, 1);
  }

  /** Delivers everything, including what delivering sends, until the queue stays empty. */
  async flush(): Promise<void> {
    for (let quiet = 0; quiet < 2;) {
      if (this.queue.length === 0) {
        quiet++;
        await new Promise((resolve) => setTimeout(resolve, 0)); // lets queued answers be sent
        continue;
      }
      quiet = 0;
      await this.deliver(0);
    }
  }
}
