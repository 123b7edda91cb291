/**
 * `ReplicationTransmitter` (Tomcat's `org.apache.catalina.tribes.transport.ReplicationTransmitter`):
 * the channel's sender, a shell around its `transport` (`PooledParallelSender` by default).
 *
 * ```json
 * { "className": "ReplicationTransmitter", "tls": { "cert": "...", "key": "...", "ca": "..." },
 *   "transport": { "className": "PooledParallelSender" } }
 * ```
 * `tls` may sit here (as SPEC shows) or on the transport, not both.
 *
 * @module
 */
import type { Member } from "../../../src/interfaces/member.ts";
import type { ChannelMessage } from "../../../src/interfaces/message.ts";
import type { Sender, Transport } from "../../../src/interfaces/transport.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { attributeDefaults } from "../../../src/kernel/config/attributes.ts";
import { loadTls, TLS_ATTRIBUTE } from "../../../src/kernel/tls.ts";
import {
  createTransport,
  PooledParallelSender,
  TRANSPORT_ATTRIBUTES,
} from "../../transport/pooled-parallel/mod.ts";

export class ReplicationTransmitter implements Sender {
  readonly transport: Transport;
  constructor(transport: Transport) {
    this.transport = transport;
  }
  start(): Promise<void> {
    return this.transport.start();
  }
  stop(): Promise<void> {
    return this.transport.stop();
  }
  sendMessage(message: ChannelMessage, destinations: readonly Member[]): Promise<void> {
    return this.transport.sendMessage(message, destinations);
  }
  heartbeat(): void {
    this.transport.heartbeat();
  }
  memberDisappeared(member: Member): void {
    this.transport.memberDisappeared(member);
  }
  setConnectionListener(listener: (member: Member, cause: Error) => void): void {
    this.transport.setConnectionListener?.(listener);
  }
  get presentsCertificate(): boolean {
    return this.transport.presentsCertificate === true;
  }
}

export default definePlugin({
  kind: "sender",
  name: "sender/replication-transmitter",
  shortNames: ["ReplicationTransmitter"],
  aliases: ["org.apache.catalina.tribes.transport.ReplicationTransmitter"],
  attributes: { tls: TLS_ATTRIBUTE },
  create: (init, components) => {
    // A sender whose slot has no transport: the transport at its defaults.
    const transport = components.transport ??
      createTransport(attributeDefaults(TRANSPORT_ATTRIBUTES), components);
    const tls = loadTls(init.tls, components);
    if (tls) {
      if (!(transport instanceof PooledParallelSender)) {
        throw components.invalid?.(
          "tls",
          "a tls block",
          "tls on the transport slot, which is not a PooledParallelSender",
        ) ??
          new Error("tls on ReplicationTransmitter needs a PooledParallelSender transport");
      }
      if (transport.hasTls) {
        throw components.invalid?.(
          "tls",
          "tls on both the sender and its transport",
          "tls in one place",
        ) ??
          new Error("tls on both the sender and its transport");
      }
      transport.setTls(tls);
    }
    return new ReplicationTransmitter(transport);
  },
});
