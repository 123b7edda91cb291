/**
 * `DomainFilterInterceptor` (Tomcat's `org.apache.catalina.tribes.group.interceptors.DomainFilterInterceptor`):
 * members of another `domain` are not reported, and their messages are dropped.
 *
 * ```json
 * { "className": "DomainFilterInterceptor", "domain": "shop" }
 * ```
 * Memberships already ignore other domains; this layer also guards memberships that do not.
 * Without `domain` it uses the local member's.
 *
 * @module
 */
import type { DepartureReason, Member } from "../../../src/interfaces/member.ts";
import type { ChannelMessage } from "../../../src/interfaces/message.ts";
import { InterceptorBase } from "../../../src/kernel/interceptor_base.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
import type { Logger } from "../../../src/interfaces/logger.ts";

export class DomainFilterInterceptor extends InterceptorBase {
  #domain: string | undefined;
  #logger: Logger;
  constructor(domain: string | undefined, logger: Logger) {
    super();
    this.#domain = domain;
    this.#logger = logger;
  }

  #ours(member: Member): boolean {
    return member.domain === (this.#domain ?? this.getLocalMember().domain);
  }

  override memberAdded(member: Member): void {
    if (this.#ours(member)) this.previous.memberAdded(member);
    else {this.#logger.debug(
        { member: member.name, domain: member.domain },
        "Member of another domain ignored",
      );}
  }

  override memberDisappeared(member: Member, reason: DepartureReason): void {
    if (this.#ours(member)) this.previous.memberDisappeared(member, reason);
  }

  override messageReceived(message: ChannelMessage): Promise<void> {
    if (!this.#ours(message.address)) return Promise.resolve(); // dropped, as in Tomcat
    return this.previous.messageReceived(message);
  }

  override getMembers(): readonly Member[] {
    return this.next.getMembers().filter((m) => this.#ours(m));
  }
}

export default definePlugin({
  kind: "interceptor",
  name: "interceptor/domain-filter",
  shortNames: ["DomainFilterInterceptor"],
  aliases: ["org.apache.catalina.tribes.group.interceptors.DomainFilterInterceptor"],
  attributes: {
    domain: { type: "string", description: "The domain to keep; default: the local member's" },
  },
  create: (init, { logger }) => new DomainFilterInterceptor(init.domain, logger),
});
