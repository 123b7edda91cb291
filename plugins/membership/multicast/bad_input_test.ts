/**
 * Multicast membership under hostile datagrams: forged, replayed, truncated and oversized ones
 * are dropped and counted without adding a member, and a node with the wrong secret never joins.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { StartOptions } from "../../../src/interfaces/message.ts";
import { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { encodeMembership, MembershipKind } from "../../../src/membership/codec.ts";
import { ManualClock } from "../../../src/kernel/manual_clock.ts";
import { isolatedGroup, multicastNode } from "../../../src/testing/membership_harness.ts";
import { tcpMember } from "../../../src/testing/tcp_harness.ts";
import { nodeSockets } from "../../../src/runtime/node_sockets.ts";
import type { DatagramSocket } from "../../../src/runtime/sockets.ts";
import { waitFor } from "../../../src/conformance/wait.ts";
import type { McastService } from "./mod.ts";

const ALL = StartOptions.MBR_RX_SEQ | StartOptions.MBR_TX_SEQ;

describe("McastService under hostile datagrams", () => {
  const clock = new ManualClock();
  let group = isolatedGroup();
  const started: { stop(level: number): Promise<void> }[] = [];
  const sockets: DatagramSocket[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.stop(ALL);
    for (const s of sockets.splice(0)) await s.close();
    group = isolatedGroup();
  });

  async function node(secret = "", port = 5001): Promise<McastService> {
    const { membership } = await multicastNode(clock, group, port, { secret });
    started.push(membership);
    return membership;
  }

  /** A socket that sends to the group from 127.0.0.1, TTL 1, as an attacker on this host would. */
  async function attacker(): Promise<DatagramSocket> {
    const socket = await nodeSockets.bindDatagram({
      host: "127.0.0.1",
      port: 0,
      multicast: {
        group: "228.0.0.4",
        interface: "127.0.0.1",
        ttl: 1,
        loopback: true,
        join: false,
      },
    });
    sockets.push(socket);
    return socket;
  }

  function forgedMember() {
    return { ...tcpMember("127.0.0.1", 6000, "forged"), domain: group.domain };
  }

  it("drops random, truncated and oversized datagrams, counting each, adding nobody", async () => {
    const a = await node();
    await a.start(ALL);
    const bad = await attacker();
    const valid = encodeMembership({
      kind: MembershipKind.ALIVE,
      seq: 1,
      timestamp: clock.now(),
      member: forgedMember(),
    });
    await bad.send(crypto.getRandomValues(new Uint8Array(300)), group.port, "228.0.0.4");
    await bad.send(valid.subarray(0, valid.length - 7), group.port, "228.0.0.4");
    await bad.send(new Uint8Array(5000), group.port, "228.0.0.4");
    await waitFor(clock, () => (a.dropped.counts.MEMBERSHIP_ERR_MALFORMED ?? 0) >= 3, "3 drops", {
      step: 1,
    });
    assert.equal(a.dropped.counts.MEMBERSHIP_ERR_MALFORMED, 3);
    assert.deepEqual(a.getMembers(), []);
  });

  it("with a secret, drops unsigned and wrongly signed heartbeats", async () => {
    const a = await node("right");
    await a.start(ALL);
    const bad = await attacker();
    const message = {
      kind: MembershipKind.ALIVE,
      seq: 1,
      timestamp: clock.now(),
      member: forgedMember(),
    } as const;
    await bad.send(encodeMembership(message), group.port, "228.0.0.4");
    await bad.send(encodeMembership({ ...message, seq: 2 }, "wrong"), group.port, "228.0.0.4");
    await waitFor(clock, () => (a.dropped.counts.MEMBERSHIP_ERR_AUTH ?? 0) >= 2, "2 drops", {
      step: 1,
    });
    assert.deepEqual(a.getMembers(), []);
  });

  it("drops a replayed heartbeat of a member that left", async () => {
    const a = await node("s");
    const b = await node("s", 5002);
    await a.start(ALL);
    // Record b's heartbeats as an eavesdropper on the group would.
    const tap = await nodeSockets.bindDatagram({
      host: "228.0.0.4",
      port: group.port,
      reuseAddr: true,
      multicast: { group: "228.0.0.4", interface: "127.0.0.1", ttl: 1, loopback: true },
    });
    sockets.push(tap);
    const captured: Uint8Array[] = [];
    tap.onMessage((bytes) => captured.push(new Uint8Array(bytes)));
    await b.start(ALL);
    await waitFor(clock, () => a.getMembers().length === 1 && captured.length > 0, "a to see b");
    await b.stop(ALL);
    await waitFor(clock, () => a.getMembers().length === 0, "b's departure", { step: 10 });
    const bad = await attacker();
    await bad.send(captured[0], group.port, "228.0.0.4");
    await waitFor(clock, () => (a.dropped.counts.MEMBERSHIP_ERR_REPLAY ?? 0) >= 1, "the replay", {
      step: 1,
    });
    assert.deepEqual(a.getMembers(), []);
  });

  it("never adds a node with the wrong secret", async () => {
    const a = await node("right");
    const c = await node("wrong", 5003);
    await a.start(ALL);
    await c.start(ALL);
    await waitFor(clock, () => (a.dropped.counts.MEMBERSHIP_ERR_AUTH ?? 0) >= 4, "c's heartbeats");
    assert.deepEqual(a.getMembers(), []);
    assert.deepEqual(c.getMembers(), []);
  });

  it("ignores members of another domain", async () => {
    const a = await node();
    await a.start(ALL);
    const bad = await attacker();
    const other = { ...forgedMember(), id: UniqueId.random(), domain: "elsewhere" };
    await bad.send(
      encodeMembership({
        kind: MembershipKind.ALIVE,
        seq: 1,
        timestamp: clock.now(),
        member: other,
      }),
      group.port,
      "228.0.0.4",
    );
    const legit = { ...forgedMember(), id: UniqueId.random() };
    await bad.send(
      encodeMembership({
        kind: MembershipKind.ALIVE,
        seq: 1,
        timestamp: clock.now(),
        member: legit,
      }),
      group.port,
      "228.0.0.4",
    );
    await waitFor(clock, () => a.getMembers().length === 1, "the same-domain member", { step: 1 });
    assert.ok(a.getMembers()[0].id.equals(legit.id));
  });
});
