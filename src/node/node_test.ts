import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UniqueId } from "../interfaces/unique_id.ts";
import { ManualClock } from "../kernel/manual_clock.ts";
import { silentLogger } from "../kernel/log.ts";
import { BACKGROUND_PROCESSOR_DELAY } from "../kernel/node.ts";
import { createNode } from "./node.ts";
import { memoryChannel } from "../testing/memory_config.ts";

/** A started in-memory node whose channel heartbeats are counted. */
async function countedNode(heartbeatBackgroundEnabled: boolean) {
  const clock = new ManualClock();
  const network = `node-${UniqueId.random().hex}`;
  const node = await createNode({
    jvmRoute: "n1",
    cluster: {
      className: "SimpleTcpCluster",
      heartbeatBackgroundEnabled,
      channel: memoryChannel(network, { heartbeatSleeptime: 5000 }),
    },
  }, { logger: silentLogger(), clock });
  const counter = { beats: 0 };
  const heartbeat = node.channel.heartbeat.bind(node.channel);
  node.channel.heartbeat = () => {
    counter.beats++;
    heartbeat();
  };
  await node.start();
  return { node, clock, counter };
}

describe("heartbeatBackgroundEnabled", () => {
  it("off (Tomcat's default): the channel beats every heartbeatSleeptime", async () => {
    const { node, clock, counter } = await countedNode(false);
    await clock.advance(5000);
    assert.equal(counter.beats, 1);
    await node.stop();
  });

  it("on: the channel's own heartbeat is off and the node's background task drives it", async () => {
    const { node, clock, counter } = await countedNode(true);
    await clock.advance(5000);
    assert.equal(counter.beats, 0, "no beat at heartbeatSleeptime");
    await clock.advance(BACKGROUND_PROCESSOR_DELAY - 5000);
    assert.equal(counter.beats, 1, "one beat per backgroundProcessorDelay");
    await node.stop();
    await clock.advance(BACKGROUND_PROCESSOR_DELAY);
    assert.equal(counter.beats, 1, "none after stop");
  });
});
