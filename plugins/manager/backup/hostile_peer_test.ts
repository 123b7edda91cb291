/**
 * Issue 13 against a BackupManager: a copy whose version would make the backup's counter unsafe,
 * or whose value is a cycle, is refused with a coded error and stored nowhere, and the backup's
 * own copies still reach its peer afterwards.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { backupHarness, type NodesHarness, startPair } from "../../../src/testing/delta_harness.ts";
import { cycle, deliverRaw, deltaSetting } from "../../../src/testing/hostile_bytes.ts";
import { newSessionId } from "../../../src/session/ids.ts";
import type { BackupManager } from "./mod.ts";

describe("BackupManager against a hostile peer", () => {
  let harness: NodesHarness<BackupManager>;
  afterEach(() => harness?.teardown());

  /** a's session lives on b, and b's on a; both copies must arrive. */
  async function copiesFlowBothWays(a: BackupManager, b: BackupManager): Promise<void> {
    for (const [from, to] of [[a, b], [b, a]]) {
      const session = from.createSession();
      session.attributes.set("k", "v");
      await from.requestCompleted(session.id);
      assert.equal(to.store.get(session.id)?.attributes.get("k"), "v");
    }
  }

  it("refuses a copy carrying version 2^53-1, and copies keep flowing", async () => {
    harness = backupHarness({ sendOptions: 6 });
    const { a, b, channel } = await startPair(harness);
    const id = newSessionId("n9");
    const v = [Number.MAX_SAFE_INTEGER, "peer"];
    const d = { id, created: 0, accessed: 0, interval: 60, meta: v, attrs: [["k", 1, v]] };
    await assert.rejects(
      channel.send(channel.getMembers(), {
        cbm: 1,
        ctx: "/",
        t: "copy",
        d,
        p: { primary: "p".repeat(32) },
      }, 6),
      /SESSION_ERR_REPLICATION/,
    );
    assert.equal(b.store.get(id), undefined);
    await copiesFlowBothWays(a, b); // before: b's copies were refused for good
  });

  it("refuses a copy whose value is a cycle", async () => {
    harness = backupHarness({ sendOptions: 6 });
    const { a, b, channel } = await startPair(harness);
    const id = newSessionId("n9");
    const enc = new TextEncoder();
    // { cbm: 1, ctx: "/", t: "copy", d: <delta>, p: { primary: "p" } } by hand.
    const text = (s: string) => [0x60 | s.length, ...enc.encode(s)];
    const bytes = new Uint8Array([
      0xa5,
      ...text("cbm"),
      1,
      ...text("ctx"),
      ...text("/"),
      ...text("t"),
      ...text("copy"),
      ...text("d"),
      ...deltaSetting(id, "x", cycle()),
      ...text("p"),
      0xa1,
      ...text("primary"),
      ...text("p"),
    ]);
    const [from] = harness.nodes;
    await assert.rejects(
      deliverRaw(harness.network, from, channel.getMembers()[0], bytes),
      /CHANNEL_ERR_PAYLOAD/,
    );
    assert.equal(b.store.get(id), undefined);
    await copiesFlowBothWays(a, b);
  });
});
