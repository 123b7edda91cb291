/**
 * Heartbeat traffic for `bench/cost.ts`: N nodes in this process over real TCP on 127.0.0.1,
 * with the channel of `bench/http.ts`'s cluster (StaticMembershipService with a secret, NioReceiver,
 * ReplicationTransmitter, TcpFailureDetector, MessageDispatchInterceptor), the sender wrapped by
 * `wire_counter.ts`. Time is a ManualClock moved 100 ms at a time, with a real pause after each
 * step for the frames to arrive, so the counts per second of cluster time are exact.
 *
 * @module
 */
import { silentLogger } from "../../src/kernel/log.ts";
import { ManualClock } from "../../src/kernel/manual_clock.ts";
import { type ClusterNode, createNode } from "../../src/node/node.ts";
import { loopbackChannel } from "../../src/testing/loopback_channel.ts";
import { freePort, sleep } from "../http/util.ts";
import { resetCounts, totalCount, wireCounts } from "./wire_counter.ts";

const COUNTING_TCP = `${new URL("./wire_counter.ts", import.meta.url).href}#tcp`;
/** StaticMembershipService's default heartbeat period, ms. */
export const FREQUENCY = 500;
const STEP = 100;

export interface HeartbeatRow {
  members: number;
  seconds: number;
  /** Heartbeat frames and bytes one member sends per second (acks: sent back to it). */
  perMember: { heartbeats: number; bytes: number; acks: number; ackBytes: number };
  /** Other frames (failure detector, transport upkeep) per member per second. */
  otherPerMember: { messages: number; bytes: number };
  /** Members each node saw at the end (N-1 when no one was dropped). */
  seen: number[];
}

/** Moves the clock `ms` in steps, letting real I/O run after each. */
async function run(clock: ManualClock, ms: number, pause: number): Promise<void> {
  for (let t = 0; t < ms; t += STEP) {
    await clock.advance(STEP);
    await sleep(pause);
  }
}

/**
 * The ports are picked before the nodes start, so one may be taken meanwhile (by a client's
 * ephemeral port, possibly one of these nodes' own connections): then it runs again on new ports.
 */
export async function heartbeatCost(
  members: number,
  seconds: number,
  pauseMs: number,
): Promise<HeartbeatRow> {
  for (let attempt = 1;; attempt++) {
    try {
      return await measure(members, seconds, pauseMs);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if (cause?.code !== "EADDRINUSE" || attempt === 3) throw error;
    }
  }
}

async function measure(
  members: number,
  seconds: number,
  pauseMs: number,
): Promise<HeartbeatRow> {
  const clock = new ManualClock();
  const ports: number[] = [];
  for (let i = 0; i < members; i++) ports.push(await freePort());
  const nodes: ClusterNode[] = [];
  try {
    for (let i = 0; i < members; i++) {
      const channel = loopbackChannel(
        [ports[i], ...ports.filter((_, j) => j !== i)],
        "bench-cost-secret",
      );
      const node = await createNode({
        jvmRoute: `n${i + 1}`,
        cluster: {
          className: "SimpleTcpCluster",
          channel: { ...channel, sender: { className: COUNTING_TCP } },
        },
      }, { logger: silentLogger(), clock });
      nodes.push(node);
      await node.start();
    }
    for (let i = 0; i < 100 && nodes.some((n) => n.members().length < members - 1); i++) {
      await run(clock, STEP, pauseMs);
    }
    if (nodes.some((n) => n.members().length < members - 1)) {
      throw new Error(`${members} nodes over TCP did not all see each other`);
    }
    await run(clock, 2 * FREQUENCY, pauseMs); // past the answers to newcomers
    resetCounts();
    await run(clock, seconds * 1000, pauseMs);
    const c = totalCount(nodes.map((n) => wireCounts.get(n.uniqueId.hex)!));
    const per = (v: number) => v / members / seconds;
    return {
      members,
      seconds,
      perMember: {
        heartbeats: per(c.heartbeats),
        bytes: per(c.heartbeatBytes),
        // Heartbeats go with USE_ACK; the other frames' acks are few and counted here too.
        acks: per(c.acks),
        ackBytes: per(c.ackBytes),
      },
      otherPerMember: { messages: per(c.messages), bytes: per(c.bytes) },
      seen: nodes.map((n) => n.members().length),
    };
  } finally {
    for (const node of nodes) await node.stop().catch(() => {});
    for (const node of nodes) wireCounts.delete(node.uniqueId.hex);
  }
}
