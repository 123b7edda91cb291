/**
 * Conformance harnesses for the in-memory plugins; also an example for plugin authors.
 *
 * @module
 */
import type { Member } from "../interfaces/member.ts";
import type { Components } from "../interfaces/plugin.ts";
import type { Receiver } from "../interfaces/transport.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { silentLogger } from "../kernel/log.ts";
import { systemClock } from "../kernel/clock.ts";
import type { MembershipHarness, MembershipNode } from "../conformance/membership.ts";
import type { TransportHarness } from "../conformance/transport.ts";
import membershipPlugin from "../../plugins/membership/memory/mod.ts";
import receiverPlugin from "../../plugins/receiver/memory/mod.ts";
import senderPlugin from "../../plugins/sender/memory/mod.ts";
import { ManualClock } from "../kernel/manual_clock.ts";
import { MemoryNetwork } from "../../plugins/membership/memory/network.ts";

function components(clock = systemClock as Components["clock"]): Components {
  return {
    logger: silentLogger(),
    clock,
    baseDir: ".",
    localMember: { id: UniqueId.random(), jvmRoute: "" },
  };
}

/** A fresh, uniquely named in-memory network. */
function freshNetwork(): string {
  return `conformance-${UniqueId.random().hex}`;
}

function memberAt(network: string, port: number): Member {
  return {
    id: UniqueId.random(),
    name: `mem://${network}/${port}`,
    host: "memory",
    port,
    jvmRoute: "",
    domain: "",
    ready: true,
    payload: new Uint8Array(0),
  };
}

/** Receiver and sender harness over a fresh in-memory network. */
export function memoryTransportHarness(): TransportHarness {
  const network = freshNetwork();
  const started: { stop(): Promise<void> }[] = [];
  const ids = new Map<Receiver, Member>();
  return {
    self: memberAt(network, 1),
    async receiver(init) {
      const receiver = await receiverPlugin.create({
        network,
        port: init?.port ?? 0,
        autoBind: 100,
      }, components());
      started.push(receiver);
      return receiver;
    },
    async sender() {
      const sender = await senderPlugin.create({ network }, components());
      started.push(sender);
      return sender;
    },
    memberFor(receiver) {
      const port = receiver.boundAddress?.port;
      if (port === undefined) throw new Error("The receiver is not started");
      let member = ids.get(receiver);
      if (!member || member.port !== port) ids.set(receiver, member = memberAt(network, port));
      return member;
    },
    unreachable: () => memberAt(network, 65000),
    async teardown() {
      for (const s of started) await s.stop();
    },
  };
}

/** Membership harness over a fresh in-memory network, on a manual clock. */
export function memoryMembershipHarness(): MembershipHarness {
  const network = freshNetwork();
  const clock = new ManualClock();
  const nodes: MembershipNode[] = [];
  let nextPort = 4000;
  return {
    clock,
    dropTime: 3000,
    async createNode() {
      const port = nextPort++;
      const membership = await membershipPlugin.create(
        { network, frequency: 500, dropTime: 3000 },
        components(clock),
      );
      membership.setLocalMemberProperties({ host: "memory", port });
      const node = { membership, silence: () => MemoryNetwork.named(network).isolate(port) };
      nodes.push(node);
      return node;
    },
    async teardown() {
      for (const node of nodes) await node.membership.stop(15);
    },
  };
}
