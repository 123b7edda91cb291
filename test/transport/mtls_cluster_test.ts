/**
 * Three nodes with mutual TLS on loopback, assembled from configuration by class name, exchange
 * messages with each of Tomcat's send options; a node with a certificate from another CA is kept
 * out.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Member } from "../../src/interfaces/member.ts";
import { SendOptions } from "../../src/interfaces/message.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { type ClusterNode, startNode } from "../../src/node/node.ts";
import { SendError } from "../../src/kernel/send_error.ts";
import { TEST_CERTS, testTlsBlock } from "../../src/testing/tcp_harness.ts";

function config(network: string, name: string) {
  const tls = testTlsBlock(name);
  return loadConfig({
    jvmRoute: name,
    cluster: {
      className: "SimpleTcpCluster",
      channel: {
        className: "GroupChannel",
        membership: { className: "MemoryMembership", network },
        receiver: { className: "NioReceiver", address: "127.0.0.1", port: 0, tls },
        sender: {
          className: "org.apache.catalina.tribes.transport.ReplicationTransmitter",
          tls,
          transport: { className: "PooledParallelSender" },
        },
        interceptors: [{ className: "MessageDispatchInterceptor" }],
      },
    },
  }, { baseDir: TEST_CERTS });
}

/** Resolves when `predicate` holds, checked on each event `subscribe` reports. */
function when(subscribe: (check: () => void) => void, predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => predicate() && resolve();
    subscribe(check);
    check();
  });
}

const OPTIONS: [string, number][] = [
  ["no ack", 0],
  ["ack", SendOptions.USE_ACK],
  ["synchronized ack", SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK],
  ["asynchronous", SendOptions.ASYNCHRONOUS],
  ["asynchronous with ack", SendOptions.ASYNCHRONOUS | SendOptions.USE_ACK],
  [
    "asynchronous with synchronized ack",
    SendOptions.ASYNCHRONOUS | SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK,
  ],
];

describe("three nodes over mutual TLS", () => {
  const network = `mtls-${UniqueId.random().hex}`;
  const nodes: ClusterNode[] = [];
  const inbox = new Map<string, { from: string; value: unknown }[]>();
  const onMessage: (() => void)[] = [];
  const onMember: (() => void)[] = [];

  before(async () => {
    for (const name of ["node1", "node2", "node3"]) {
      const node = await startNode(config(network, name), { logger: silentLogger() });
      const got: { from: string; value: unknown }[] = [];
      inbox.set(name, got);
      node.channel.addChannelListener({
        messageReceived: (value, from) => {
          got.push({ from: from.jvmRoute, value });
          for (const check of onMessage) check();
        },
      });
      node.channel.addMembershipListener({
        memberAdded: () => onMember.forEach((check) => check()),
        memberDisappeared: () => {},
      });
      nodes.push(node);
    }
    await when((c) => onMember.push(c), () => nodes.every((n) => n.members().length === 2));
  });

  after(async () => {
    for (const node of nodes) await node.stop();
  });

  for (const [label, options] of OPTIONS) {
    it(`delivers with ${label} (options ${options}), in order, to both others`, async () => {
      const [a] = nodes;
      const values = Array.from({ length: 50 }, (_, i) => ({ label, i }));
      for (const value of values) await a.channel.send(a.members(), value, options);
      for (const name of ["node2", "node3"]) {
        const got = inbox.get(name) as { from: string; value: unknown }[];
        await when(
          (c) => onMessage.push(c),
          () => got.filter((g) => (g.value as { label: string }).label === label).length === 50,
        );
        const mine = got.filter((g) => (g.value as { label: string }).label === label);
        assert.deepEqual(mine.map((g) => g.value), values);
        assert.ok(mine.every((g) => g.from === "node1"));
      }
    });
  }

  it("a synchronized ack fails when the receiving listener throws", async () => {
    const [a, b] = nodes;
    const listener = {
      accept: (value: unknown) => (value as { poison?: boolean }).poison === true,
      messageReceived: () => {
        throw new Error("listener refused");
      },
    };
    b.channel.addChannelListener(listener);
    try {
      const target = a.members().find((m) => m.jvmRoute === "node2") as Member;
      await assert.rejects(
        a.channel.send(
          [target],
          { poison: true },
          SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK,
        ),
        (e: unknown) => e instanceof SendError && /listener refused/.test(e.message),
      );
    } finally {
      b.channel.removeChannelListener(listener);
    }
  });

  it("keeps out a node whose certificate comes from another CA", async () => {
    const intruder = await startNode(config(network, "intruder"), { logger: silentLogger() });
    try {
      intruder.channel.addMembershipListener({
        memberAdded: () => onMember.forEach((check) => check()),
        memberDisappeared: () => {},
      });
      await when((c) => onMember.push(c), () => intruder.members().length === 3);
      // Membership is in memory here, so the intruder sees the others; the channel refuses it.
      const error = await intruder.channel.send(
        intruder.members(),
        { from: "intruder" },
        SendOptions.USE_ACK,
      ).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof SendError, "the intruder's send fails");
      assert.equal(error.faultyMembers.length, 3);
      for (const got of inbox.values()) {
        assert.ok(!got.some((g) => g.from === "intruder"), "nothing from the intruder arrives");
      }
    } finally {
      await intruder.stop();
    }
  });
});
