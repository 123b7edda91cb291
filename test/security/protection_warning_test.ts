/**
 * The start-up warning of SPEC section 7: a node whose channel has neither a membership secret
 * nor mutual TLS says that anyone who can reach its receiver port can read and change every
 * session; with either, it does not.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { createNode } from "../../src/node/node.ts";
import { captureLogger } from "../../src/testing/capture_logger.ts";
import { TEST_CERTS, testTlsBlock } from "../../src/testing/tcp_harness.ts";

const WARNING = /anyone who can reach the receiver port can read and change every session/;

function config(
  options: { secret?: string; receiverTls?: Record<string, unknown>; senderTls?: boolean } = {},
) {
  return loadConfig({
    jvmRoute: "n1",
    cluster: {
      className: "SimpleTcpCluster",
      channel: {
        className: "GroupChannel",
        membership: {
          className: "StaticMembershipService",
          members: [],
          ...(options.secret ? { secret: options.secret } : {}),
        },
        receiver: {
          className: "NioReceiver",
          address: "127.0.0.1",
          port: 0,
          ...(options.receiverTls ? { tls: options.receiverTls } : {}),
        },
        sender: {
          className: "ReplicationTransmitter",
          ...(options.senderTls ? { tls: testTlsBlock("node1") } : {}),
        },
        interceptors: [],
      },
    },
  }, { baseDir: TEST_CERTS });
}

async function warnings(options: Parameters<typeof config>[0]): Promise<string[]> {
  const { logger, lines } = captureLogger();
  const node = await createNode(config(options), { logger });
  await node.start();
  await node.stop();
  return lines.filter((l) => l.level === 40).map((l) => String(l.msg));
}

describe("the unprotected-channel warning", () => {
  it("is logged at warn with neither a secret nor mutual TLS", async () => {
    assert.ok((await warnings({})).some((m) => WARNING.test(m)));
  });

  it("is not logged with a membership secret", async () => {
    assert.deepEqual(await warnings({ secret: "s".repeat(32) }), []);
  });

  it("gives way, with a short secret, to a warning that it is short", async () => {
    const found = await warnings({ secret: "s3cret" });
    assert.ok(!found.some((m) => WARNING.test(m)));
    assert.ok(found.some((m) => /membership secret is short/.test(m)));
  });

  it("is not logged with mutual TLS (receiver requires client certificates, sender presents one)", async () => {
    const found = await warnings({ receiverTls: testTlsBlock("node1"), senderTls: true });
    assert.ok(!found.some((m) => WARNING.test(m)));
  });

  it("counts TLS without client certificates, or without a sender certificate, as no protection", async () => {
    const protectedBy = async (options: Parameters<typeof config>[0]) => {
      const node = await createNode(config(options), { logger: captureLogger().logger });
      return node.authenticatesPeers;
    };
    assert.equal(
      await protectedBy({ receiverTls: testTlsBlock("node1", false), senderTls: true }),
      false,
    );
    assert.equal(await protectedBy({ receiverTls: testTlsBlock("node1") }), false);
    assert.equal(await protectedBy({ receiverTls: testTlsBlock("node1"), senderTls: true }), true);
    assert.equal(await protectedBy({ secret: "s".repeat(32) }), true);
  });
});
