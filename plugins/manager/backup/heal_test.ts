/**
 * BackupManager after a partition heals: {n1} | {n2, n3} both served a session and one side
 * ended another; once they meet, every member holds the same location map, the session has one
 * primary and one backup holding the merged attributes, and the ended session stays ended.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { waitFor } from "../../../src/conformance/wait.ts";
import {
  backupHarness,
  type NodesHarness,
  startManagers,
} from "../../../src/testing/delta_harness.ts";
import { MemoryNetwork } from "../../membership/memory/network.ts";
import { ConclaveError } from "../../../src/errors.ts";
import type { BackupManager } from "./manager.ts";
import { checkClaims, MAX_CLAIMS } from "./heal.ts";

async function write(m: BackupManager, id: string, name: string, value: unknown): Promise<void> {
  const session = m.findSession(id) ?? (await m.fetchSession(id));
  assert.ok(session, `${m.placeOf(id)?.primary} serves ${id}`);
  session.attributes.set(name, value);
  await m.requestCompleted(id);
}

describe("BackupManager after a partition heals", () => {
  let harness: NodesHarness<BackupManager>;
  afterEach(() => harness?.teardown());

  it("keeps one primary and one backup with merged attributes, and ended sessions ended", async () => {
    harness = backupHarness({ sendOptions: 6 });
    const managers = await startManagers(harness, 3);
    const [m1, m2, m3] = managers;
    const ids = harness.nodes.map((n) => n.uniqueId.hex);
    const [n1, n2, n3] = harness.nodes;
    await waitFor(harness.clock, () => harness.nodes.every((n) => n.members().length === 2), "3");
    const s = m1.createSession();
    s.attributes.set("x", 0);
    await m1.requestCompleted(s.id);
    const t = m1.createSession();
    t.attributes.set("x", 0);
    await m1.requestCompleted(t.id);
    await waitFor(harness.clock, () => managers.every((m) => m.placeOf(t.id)), "places known");

    const network = MemoryNetwork.named(harness.network);
    const port = n1.channel.getLocalMember().port;
    network.isolate(port);
    await waitFor(
      harness.clock,
      () => n1.members().length === 0 && [n2, n3].every((n) => n.members().length === 1),
      "the partition",
    );
    // Both sides serve s; the side of n2 and n3 ends t.
    await write(m1, s.id, "x", 1);
    const other = m2.placeOf(s.id)?.primary === ids[1] ? m2 : m3;
    await write(other, s.id, "y", 2);
    await other.invalidate(t.id);
    network.heal(port);

    const holders = () => managers.filter((m) => m.store.get(s.id) !== undefined);
    await waitFor(
      harness.clock,
      () => {
        const places = managers.map((m) => JSON.stringify(m.placeOf(s.id)));
        const p = m1.placeOf(s.id);
        return places.every((x) => x === places[0]) && p?.backup !== undefined &&
          holders().length === 2 &&
          holders().every((m) => m.store.get(s.id)!.attributes.get("y") === 2);
      },
      "one consistent place with merged copies",
      { maxSteps: 600 },
    );

    const place = m1.placeOf(s.id)!;
    assert.notEqual(place.primary, place.backup);
    assert.deepEqual(
      holders().map((m) => ids[managers.indexOf(m)]).sort(),
      [place.primary, place.backup].sort(),
      "copies only on primary and backup",
    );
    for (const m of holders()) {
      assert.deepEqual(Object.fromEntries(m.store.get(s.id)!.attributes), { x: 1, y: 2 });
    }
    for (const m of managers) {
      assert.equal(m.store.get(t.id), undefined, "t stays ended");
      assert.equal(m.placeOf(t.id), undefined);
    }
  });

  it("refuses malformed or unbounded claims whole", () => {
    const refuses = (m: unknown) =>
      assert.throws(
        () => checkClaims(m as never),
        (e: unknown) => e instanceof ConclaveError && e.code === "SESSION_ERR_REPLICATION",
      );
    const base = "0".repeat(32);
    refuses({ t: "claims", c: "x", g: [] });
    refuses({ t: "claims", c: [[base, 5]], g: [] });
    refuses({ t: "claims", c: [["short", null]], g: [] });
    refuses({ t: "claims", c: [], g: [[base, "later"]] });
    refuses({ t: "claims", c: new Array(MAX_CLAIMS + 1).fill([base, null]), g: [] });
    checkClaims({ t: "claims", c: [[base, null], [base, "ab"]], g: [[base, 1]] });
  });
});
