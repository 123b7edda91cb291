/**
 * Sender plugins for `bench/cost.ts` that count what goes on the wire: the built-in
 * `MemorySender` (export `memory`) or `ReplicationTransmitter` (export `tcp`), wrapped. Product
 * code is left alone; the count happens at the channel's boundary with its transport.
 *
 * Each point-to-point message is one frame of the TCP wire format (`src/wire/`): the 6-byte
 * prefix, the MSG header as `encodeMessageHeader` writes it (with this link's sequence number, no
 * member record: the steady state) and the payload. A message sent with USE_ACK also costs the
 * ack frame the receiver sends back. Heartbeats (the MEMBERSHIP option) are counted apart.
 *
 * @module
 */
import type { Member } from "../../src/interfaces/member.ts";
import { type ChannelMessage, SendOptions } from "../../src/interfaces/message.ts";
import type { PluginDescriptor } from "../../src/interfaces/plugin.ts";
import type { Sender } from "../../src/interfaces/transport.ts";
import { definePlugin } from "../../src/kernel/plugin.ts";
import { encodeAckHeader, encodeMessageHeader } from "../../src/wire/envelope.ts";
import { FRAME_PREFIX } from "../../src/wire/frame.ts";
import memorySender from "../../plugins/sender/memory/mod.ts";
import transmitter from "../../plugins/sender/replication-transmitter/mod.ts";

/** Frames and bytes one node sent (acks: the frames its receivers sent back for them). */
export interface WireCount {
  messages: number;
  bytes: number;
  acks: number;
  ackBytes: number;
  heartbeats: number;
  heartbeatBytes: number;
}

export const zeroCount = (): WireCount => ({
  messages: 0,
  bytes: 0,
  acks: 0,
  ackBytes: 0,
  heartbeats: 0,
  heartbeatBytes: 0,
});

/** The counts of every node built with these plugins, by member id (hex). */
export const wireCounts = new Map<string, WireCount>();

/** The sum of `counts` (all nodes when none are given). */
export function totalCount(counts: Iterable<WireCount> = wireCounts.values()): WireCount {
  const sum = zeroCount();
  for (const c of counts) {
    for (const k of Object.keys(sum) as (keyof WireCount)[]) sum[k] += c[k];
  }
  return sum;
}

/** Sets every node's counts back to zero. */
export function resetCounts(): void {
  for (const c of wireCounts.values()) Object.assign(c, zeroCount());
}

function counting(inner: Sender, count: WireCount): Sender {
  const seqs = new Map<string, number>();
  return {
    start: () => inner.start(),
    stop: () => inner.stop(),
    heartbeat: () => inner.heartbeat(),
    memberDisappeared: (member) => inner.memberDisappeared(member),
    setConnectionListener: inner.setConnectionListener?.bind(inner),
    sendMessage(message: ChannelMessage, destinations: readonly Member[]) {
      for (const to of destinations) {
        const seq = (seqs.get(to.id.hex) ?? 0) + 1;
        seqs.set(to.id.hex, seq);
        const header = encodeMessageHeader(
          seq,
          message.options,
          message.timestamp,
          message.uniqueId,
          undefined,
        );
        const bytes = FRAME_PREFIX + header.length + message.payload.length;
        if ((message.options & SendOptions.MEMBERSHIP) !== 0) {
          count.heartbeats++;
          count.heartbeatBytes += bytes;
        } else {
          count.messages++;
          count.bytes += bytes;
        }
        if ((message.options & SendOptions.USE_ACK) !== 0) {
          count.acks++;
          count.ackBytes += FRAME_PREFIX + encodeAckHeader(seq).length;
        }
      }
      return inner.sendMessage(message, destinations);
    },
  };
}

/** `inner`, whose senders count into `wireCounts` under the node's member id. */
function counted(name: string, inner: PluginDescriptor<"sender">) {
  return definePlugin({
    kind: "sender",
    name,
    attributes: inner.attributes,
    create: async (init, components) => {
      const count = zeroCount();
      wireCounts.set(components.localMember.id.hex, count);
      return counting(await inner.create(init, components), count);
    },
  });
}

/** `MemorySender`, counted. */
export const memory = counted("bench/counting-memory-sender", memorySender);

/** `ReplicationTransmitter` over `PooledParallelSender`, counted. */
export const tcp = counted("bench/counting-transmitter", transmitter);
