/**
 * Tomcat's `ChannelInterceptorBase`: a layer that forwards every call, so a subclass overrides
 * only what it changes.
 *
 * @module
 */
import { INTERCEPTOR_LINK } from "../interfaces/interceptor.ts";
import type { Interceptor } from "../interfaces/interceptor.ts";
import type { DepartureReason, Member } from "../interfaces/member.ts";
import type { ChannelMessage } from "../interfaces/message.ts";
import type { UniqueId } from "../interfaces/unique_id.ts";

/** Marks interceptor instances across copies of this package (no `instanceof` between copies). */
export const INTERCEPTOR: unique symbol = Symbol.for("conclave.interceptor") as never;

/** Forwards everything: sends and queries down, messages and membership events up. */
export class InterceptorBase implements Interceptor {
  readonly [INTERCEPTOR] = true;
  #next: Interceptor | undefined;
  #previous: Interceptor | undefined;
  #optionFlag: number;

  constructor(options: { optionFlag?: number } = {}) {
    this.#optionFlag = options.optionFlag ?? 0;
  }

  get optionFlag(): number {
    return this.#optionFlag;
  }

  [INTERCEPTOR_LINK](next: Interceptor | undefined, previous: Interceptor | undefined): void {
    this.#next = next;
    this.#previous = previous;
  }

  /** The layer below; only the coordinator has none. */
  protected get next(): Interceptor {
    if (!this.#next) throw new Error(`${this.constructor.name} is not linked to a layer below`);
    return this.#next;
  }

  /** The layer above; only the channel itself has none. */
  protected get previous(): Interceptor {
    if (!this.#previous) throw new Error(`${this.constructor.name} is not linked to a layer above`);
    return this.#previous;
  }

  /** Tomcat's `okToProcess`: true when this layer acts on a message with these options. */
  protected okToProcess(options: number): boolean {
    return this.#optionFlag === 0 || (options & this.#optionFlag) === this.#optionFlag;
  }

  sendMessage(destinations: readonly Member[], message: ChannelMessage): Promise<void> {
    return this.next.sendMessage(destinations, message);
  }

  heartbeat(): void {
    this.next.heartbeat();
  }

  start(svc: number): Promise<void> {
    return this.next.start(svc);
  }

  stop(svc: number): Promise<void> {
    return this.next.stop(svc);
  }

  hasMembers(): boolean {
    return this.next.hasMembers();
  }

  getMembers(): readonly Member[] {
    return this.next.getMembers();
  }

  getMember(id: UniqueId): Member | undefined {
    return this.next.getMember(id);
  }

  getLocalMember(): Member {
    return this.next.getLocalMember();
  }

  messageReceived(message: ChannelMessage): Promise<void> {
    return this.previous.messageReceived(message);
  }

  memberAdded(member: Member): void {
    this.previous.memberAdded(member);
  }

  memberDisappeared(member: Member, reason: DepartureReason): void {
    this.previous.memberDisappeared(member, reason);
  }

  memberSuspected(member: Member, cause: Error): void {
    this.previous.memberSuspected(member, cause);
  }
}

/** True for an interceptor instance built on `InterceptorBase` (from any copy of Conclave). */
export function isInterceptor(value: unknown): value is Interceptor {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[INTERCEPTOR] === true;
}
