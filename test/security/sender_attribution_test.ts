/**
 * Who a received message is from: the membership's record for the id its connection proved, so
 * that replies go where membership says the member listens; with an authenticated channel, a
 * message from an id no current member has is dropped and counted.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Member } from "../../src/interfaces/member.ts";
import type { Membership } from "../../src/interfaces/membership.ts";
import { type ChannelMessage, SendOptions } from "../../src/interfaces/message.ts";
import type { MessageHandler, Receiver, Sender } from "../../src/interfaces/transport.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { ConclaveError } from "../../src/errors.ts";
import { GroupChannel } from "../../src/kernel/channel.ts";
import { systemClock } from "../../src/kernel/clock.ts";
import { ChannelCoordinator } from "../../src/kernel/coordinator.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { tcpMember } from "../../src/testing/tcp_harness.ts";

const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;

/** A coordinator over stub parts whose membership knows `known`; returns the receiver's handler. */
function channelKnowing(known: Member, authenticated: boolean) {
  let handler: MessageHandler | undefined;
  const idle = () => Promise.resolve();
  const receiver: Receiver = {
    setHandler: (h) => void (handler = h),
    start: idle,
    stop: idle,
    boundAddress: undefined,
  };
  const sender: Sender = {
    start: idle,
    stop: idle,
    sendMessage: idle,
    heartbeat: () => {},
    memberDisappeared: () => {},
  };
  const membership: Membership = {
    start: idle,
    stop: idle,
    setListener: () => {},
    setLocalMemberProperties: () => {},
    getLocalMember: () => tcpMember("127.0.0.1", 1),
    getMembers: () => [known],
    getMember: (id) => (id.equals(known.id) ? known : undefined),
  };
  const logger = silentLogger();
  const coordinator = new ChannelCoordinator({ receiver, sender, membership }, logger, {
    authenticated,
  });
  const channel = new GroupChannel({ interceptors: [], coordinator, logger, clock: systemClock });
  const got: Member[] = [];
  channel.addChannelListener({ messageReceived: (_, from) => void got.push(from) });
  return { handler: handler as MessageHandler, coordinator, got };
}

function from(member: Member, options = 0): ChannelMessage {
  return {
    options: options | SendOptions.BYTE_MESSAGE,
    timestamp: Date.now(),
    uniqueId: UniqueId.random(),
    address: member,
    payload: Uint8Array.of(1),
  };
}

describe("the sender of a received message", () => {
  const known = tcpMember("127.0.0.1", 4000, "n1");

  it("is the membership's record for its id, whatever host and port the message names", async () => {
    const { handler, got } = channelKnowing(known, true);
    await handler(from({ ...known, host: "127.0.0.1", port: 6666 }));
    assert.equal(got.length, 1);
    assert.equal(got[0], known);
    assert.equal(got[0].port, 4000);
  });

  it("with an authenticated channel, from no current member: dropped, counted, refused if sync", async () => {
    const { handler, coordinator, got } = channelKnowing(known, true);
    const stranger = tcpMember("127.0.0.1", 6666);
    await handler(from(stranger)); // no ack asked: dropped quietly
    await assert.rejects(
      handler(from(stranger, SYNC)),
      (e) => e instanceof ConclaveError && e.code === "CHANNEL_ERR_NOT_MEMBER",
    );
    assert.deepEqual(got, []);
    assert.equal(coordinator.droppedFromNonMembers, 2);
  });

  it("without authentication, from no current member: passed on as it came (nothing proves who)", async () => {
    const { handler, coordinator, got } = channelKnowing(known, false);
    const stranger = tcpMember("127.0.0.1", 6666);
    await handler(from(stranger));
    assert.deepEqual(got, [stranger]);
    assert.equal(coordinator.droppedFromNonMembers, 0);
  });
});
