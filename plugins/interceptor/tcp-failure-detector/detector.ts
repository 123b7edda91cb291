/**
 * `TcpFailureDetector`: membership says who is silent; this layer checks over TCP before anyone
 * is declared dead, and checks at once when a connection to a member breaks.
 *
 * - A member that stops heartbeating is connected to first: if its receiver still accepts, it
 *   stays (a suspect, re-checked every channel heartbeat) instead of being removed.
 * - When an established connection to a member resets (a killed process), the member is checked
 *   at once, so a crash is reported in milliseconds instead of after `dropTime`.
 * - Each new member is sent one small ping, so that a connection to it exists to break.
 *
 * @module
 */
import type { Clock } from "../../../src/interfaces/clock.ts";
import type { Logger } from "../../../src/interfaces/logger.ts";
import type { DepartureReason, Member } from "../../../src/interfaces/member.ts";
import { type ChannelMessage, SendOptions } from "../../../src/interfaces/message.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { InterceptorBase } from "../../../src/kernel/interceptor_base.ts";
import type { SocketProvider } from "../../../src/runtime/sockets.ts";

/** When to check again after a broken connection found the member still accepting, ms. */
const RECHECK_MS = [50, 200, 500];

/** The ping's payload: never a CBOR value, so it cannot collide with an application message. */
const PING = new TextEncoder().encode("\u00ffconclave-tcp-ping");

export interface TcpFailureDetectorOptions {
  connectTimeout: number;
  /** ms a member may stay silent but reachable before it is removed anyway; negative: never. */
  removeSuspectsTimeout: number;
  sockets: SocketProvider;
  clock: Clock;
  logger: Logger;
}

interface Suspect {
  member: Member;
  since: number;
}

export class TcpFailureDetector extends InterceptorBase {
  #options: TcpFailureDetectorOptions;
  /** Members reported up, by id. */
  #live = new Map<string, Member>();
  /** Silent for membership, but still accepting connections. */
  #suspects = new Map<string, Suspect>();
  #checking = new Set<string>();
  #rechecks = new Set<() => void>();
  #inFlight = new Set<Promise<boolean>>();
  /** Heartbeating, but their receivers refuse connections: not reported up. */
  #unreachable = new Map<string, Member>();

  constructor(options: TcpFailureDetectorOptions) {
    super();
    this.#options = options;
  }

  /** Members reported up: membership's view, plus suspects that still answer, minus the dead. */
  override getMembers(): readonly Member[] {
    // Membership's record is the freshest (a member announces `ready` after state transfer).
    return [...this.#live.values()].map((m) => this.next.getMember(m.id) ?? m);
  }

  override hasMembers(): boolean {
    return this.#live.size > 0;
  }

  override getMember(id: UniqueId): Member | undefined {
    return this.#live.has(id.hex) ? this.next.getMember(id) ?? this.#live.get(id.hex) : undefined;
  }

  override memberAdded(member: Member): void {
    const key = member.id.hex;
    this.#suspects.delete(key);
    if (this.#live.has(key)) {
      this.#live.set(key, member); // a newer record of a member already up
      return;
    }
    this.#unreachable.set(key, member);
    void this.#admit(member);
  }

  /** Reports a new member up only once its receiver accepts a connection. */
  async #admit(member: Member): Promise<void> {
    const key = member.id.hex;
    if (!(await this.#reachable(member))) {
      if (this.#unreachable.has(key)) {
        this.#options.logger.warn(
          { member: member.name },
          "Member heartbeats but its receiver cannot be reached; not added yet",
        );
      }
      return;
    }
    if (!this.#unreachable.delete(key) || this.#live.has(key)) return;
    this.#live.set(key, member);
    this.previous.memberAdded(member);
    this.#watch(member);
  }

  override memberDisappeared(member: Member, reason: DepartureReason): void {
    this.#unreachable.delete(member.id.hex);
    if (!this.#live.has(member.id.hex)) return;
    if (reason === "expired") {
      void this.#verify(member, "heartbeats stopped", "expired");
      return;
    }
    this.#report(member, reason);
  }

  /** Resolves once no check is in flight (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  override memberSuspected(member: Member, cause: Error): void {
    if (!this.#live.has(member.id.hex)) return;
    void this.#verify(member, cause.message, "broken");
  }

  override messageReceived(message: ChannelMessage): Promise<void> {
    if (isPing(message.payload)) return Promise.resolve();
    return this.previous.messageReceived(message);
  }

  override heartbeat(): void {
    const now = this.#options.clock.now();
    for (const [key, suspect] of this.#suspects) {
      const limit = this.#options.removeSuspectsTimeout;
      if (limit >= 0 && now - suspect.since >= limit) {
        this.#suspects.delete(key);
        this.#report(suspect.member, "expired");
      } else void this.#verify(suspect.member, "still silent", "suspect");
    }
    for (const member of this.#unreachable.values()) void this.#admit(member);
    super.heartbeat();
  }

  override async stop(svc: number): Promise<void> {
    await super.stop(svc);
    for (const cancel of this.#rechecks) cancel();
    this.#rechecks.clear();
    this.#live.clear();
    this.#suspects.clear();
    this.#unreachable.clear();
  }

  /**
   * Connects to the member's receiver: refused or timed out means dead. After a broken
   * connection one accepted connect proves little (a killed process's kernel may still accept
   * for some milliseconds after its connections reset), so the check is repeated shortly after.
   */
  async #verify(
    member: Member,
    why: string,
    origin: "expired" | "broken" | "recheck" | "suspect",
  ): Promise<void> {
    const key = member.id.hex;
    if (this.#checking.has(key)) return;
    this.#checking.add(key);
    const { logger, clock } = this.#options;
    let alive: boolean;
    try {
      alive = await this.#reachable(member);
    } finally {
      this.#checking.delete(key);
    }
    if (!this.#live.has(key)) return; // reported meanwhile
    if (!alive) {
      this.#suspects.delete(key);
      logger.info({ member: member.name, why }, "Member verified dead over TCP");
      this.#report(member, "unreachable");
      return;
    }
    if (origin === "expired" && !this.#suspects.has(key)) {
      logger.warn(
        { member: member.name, why },
        "Member silent but still reachable; kept as a suspect",
      );
      this.#suspects.set(key, { member, since: clock.now() });
    }
    if (origin === "broken") {
      for (const delay of RECHECK_MS) {
        const cancel = clock.setTimeout(() => {
          this.#rechecks.delete(cancel);
          void this.#verify(member, "re-check after a broken connection", "recheck");
        }, delay);
        this.#rechecks.add(cancel);
      }
    }
    if (origin !== "recheck") this.#watch(member);
  }

  #reachable(member: Member): Promise<boolean> {
    const check = this.#connect(member);
    this.#inFlight.add(check);
    return check.finally(() => this.#inFlight.delete(check));
  }

  async #connect(member: Member): Promise<boolean> {
    try {
      const socket = await this.#options.sockets.connect({
        host: member.host,
        port: member.port,
        timeoutMs: this.#options.connectTimeout,
      });
      socket.destroy();
      return true;
    } catch {
      return false;
    }
  }

  #report(member: Member, reason: DepartureReason): void {
    const key = member.id.hex;
    if (!this.#live.delete(key)) return;
    this.#suspects.delete(key);
    this.previous.memberDisappeared(member, reason);
  }

  /** Opens (or reuses) the transport's connection to `member`, so that its loss is noticed. */
  #watch(member: Member): void {
    const ping: ChannelMessage = {
      options: SendOptions.USE_ACK | SendOptions.BYTE_MESSAGE,
      timestamp: this.#options.clock.now(),
      uniqueId: UniqueId.random(),
      address: this.getLocalMember(),
      payload: PING,
    };
    this.next.sendMessage([member], ping).catch((err) => {
      this.#options.logger.debug(
        { member: member.name, err: (err as Error).message },
        "Ping failed",
      );
      if (this.#live.has(member.id.hex)) void this.#verify(member, "ping failed", "recheck");
    });
  }
}

function isPing(payload: Uint8Array): boolean {
  if (payload.length !== PING.length) return false;
  for (let i = 0; i < PING.length; i++) if (payload[i] !== PING[i]) return false;
  return true;
}
