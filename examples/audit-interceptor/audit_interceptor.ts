/**
 * An example third-party interceptor, loaded by path:
 * `{ "className": "./audit_interceptor.ts", "label": "edge" }`.
 *
 * It counts messages in each direction and logs membership changes with its label. A published
 * plugin would import from "conclave"; this one sits in the repository and imports the
 * source directly.
 *
 * @module
 */
import { definePlugin, InterceptorBase } from "../../src/mod.ts";
import type { ChannelMessage, DepartureReason, Logger, Member } from "../../src/mod.ts";

export class AuditInterceptor extends InterceptorBase {
  readonly counts = { sent: 0, received: 0 };
  #label: string;
  #log: Logger;

  constructor(label: string, log: Logger) {
    super();
    this.#label = label;
    this.#log = log;
  }

  override sendMessage(destinations: readonly Member[], message: ChannelMessage): Promise<void> {
    this.counts.sent++;
    return super.sendMessage(destinations, message);
  }

  override messageReceived(message: ChannelMessage): Promise<void> {
    this.counts.received++;
    return super.messageReceived(message);
  }

  override memberAdded(member: Member): void {
    this.#log.info({ label: this.#label, member: member.name }, "Audit: member added");
    super.memberAdded(member);
  }

  override memberDisappeared(member: Member, reason: DepartureReason): void {
    this.#log.info(
      { label: this.#label, member: member.name, reason },
      "Audit: member disappeared",
    );
    super.memberDisappeared(member, reason);
  }
}

export default definePlugin({
  kind: "interceptor",
  name: "interceptor/audit",
  attributes: {
    label: { type: "string", default: "audit", description: "Added to every log line" },
  },
  create: (init, { logger }) => new AuditInterceptor(init.label, logger),
});
