/**
 * `autoBind` (SPEC section 2): the number of ports tried from `port` on; 0 or 1 means exactly
 * `port`.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { validateAttributes } from "../../../src/kernel/config/attributes.ts";
import { testComponents } from "../../../src/testing/tcp_harness.ts";
import { ConclaveError } from "../../../src/errors.ts";
import receiverPlugin, { type NioReceiver } from "./mod.ts";

/** The slot's attributes checked as the kernel checks them, then a started receiver. */
async function startReceiver(port: number, autoBind: number): Promise<NioReceiver> {
  const init = validateAttributes(
    { address: "127.0.0.1", port, autoBind },
    receiverPlugin.attributes,
    {
      file: "<code>",
      path: "cluster.channel.receiver",
      positions: new Map(),
      substituted: new Set(),
      strict: true,
      warn: () => {},
    },
  );
  const receiver = await receiverPlugin.create(
    init as Parameters<typeof receiverPlugin.create>[0],
    testComponents(),
  ) as NioReceiver;
  receiver.setHandler(() => Promise.resolve());
  await receiver.start();
  return receiver;
}

describe("NioReceiver autoBind", () => {
  let holder: net.Server;
  let taken: number;
  before(async () => {
    holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    taken = (holder.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  for (const autoBind of [0, 1]) {
    it(`autoBind ${autoBind} binds exactly port, and fails naming it when it is taken`, async () => {
      await assert.rejects(startReceiver(taken, autoBind), (error: unknown) => {
        assert.ok(error instanceof ConclaveError);
        assert.equal(error.code, "NODE_ERR_START");
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1, port ${taken}: `));
        return true;
      });
    });
  }

  it("autoBind 0 binds the port itself when it is free", async () => {
    // A port just freed by a probe: the receiver must take that one, not a neighbour.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const free = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const receiver = await startReceiver(free, 0);
    try {
      assert.equal(receiver.boundAddress?.port, free);
    } finally {
      await receiver.stop();
    }
  });

  it("autoBind 2 moves on to the next port when port is taken", async () => {
    let receiver: NioReceiver | undefined;
    try {
      receiver = await startReceiver(taken, 2);
      assert.equal(receiver.boundAddress?.port, taken + 1);
    } catch (error) {
      // The neighbour may belong to someone else on a shared machine: then the range is named.
      assert.ok(error instanceof ConclaveError);
      assert.match(error.message, new RegExp(`any port from ${taken} to ${taken + 1}`));
    } finally {
      await receiver?.stop();
    }
  });
});
