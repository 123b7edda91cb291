/**
 * BackupManager: two copies of each session, restored when a holder dies; the other nodes know
 * where it lives and fetch it on demand.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { waitFor } from "../../../src/conformance/wait.ts";
import { managerConformance } from "../../../src/conformance/manager.ts";
import {
  backupHarness,
  type NodesHarness,
  startManagers,
} from "../../../src/testing/delta_harness.ts";
import type { BackupManager } from "./mod.ts";

describe("BackupManager", () => {
  let harness: NodesHarness<BackupManager>;
  afterEach(() => harness?.teardown());

  async function three() {
    harness = backupHarness({ sendOptions: 6 });
    return await startManagers(harness, 3);
  }

  const holders = (managers: BackupManager[], id: string) =>
    managers.filter((m) => m.store.get(id) !== undefined).length;

  it("keeps each session on its primary and exactly one backup; the third knows where", async () => {
    const [a, b, c] = await three();
    const s = a.createSession();
    s.attributes.set("user", "alice");
    await a.requestCompleted(s.id);
    await waitFor(harness.clock, () => holders([a, b, c], s.id) === 2, "the backup copy");
    const place = a.placeOf(s.id);
    assert.ok(place?.backup);
    const third = [b, c].find((m) => m.store.get(s.id) === undefined) as BackupManager;
    await waitFor(harness.clock, () => third.placeOf(s.id) !== undefined, "the location");
    assert.deepEqual(third.placeOf(s.id), place);
  });

  it("fetches a session on a node that holds neither copy, which becomes its primary", async () => {
    const [a, b, c] = await three();
    const s = a.createSession();
    s.attributes.set("n", 41);
    await a.requestCompleted(s.id);
    await waitFor(harness.clock, () => holders([a, b, c], s.id) === 2, "the backup copy");
    const third = [b, c].find((m) => m.store.get(s.id) === undefined) as BackupManager;
    await waitFor(harness.clock, () => third.placeOf(s.id) !== undefined, "the location");
    const fetched = await third.fetchSession(s.id);
    assert.equal(fetched?.attributes.get("n"), 41);
    assert.equal(
      third.placeOf(s.id)?.primary,
      harness.nodes[[a, b, c].indexOf(third)].uniqueId.hex,
    );
    await waitFor(harness.clock, () => holders([a, b, c], s.id) === 2, "still two copies");
  });

  it("restores a second copy when the primary dies", async () => {
    const [a, b, c] = await three();
    const s = a.createSession();
    s.attributes.set("cart", ["book"]);
    await a.requestCompleted(s.id);
    await waitFor(harness.clock, () => holders([a, b, c], s.id) === 2, "the backup copy");
    await harness.nodes[0].stop(); // a leaves
    await waitFor(harness.clock, () => holders([b, c], s.id) === 2, "two copies among b and c");
    for (const m of [b, c]) assert.deepEqual(m.store.get(s.id)?.attributes.get("cart"), ["book"]);
  });

  it("restores a second copy when the backup dies", async () => {
    const [a, b, c] = await three();
    const s = a.createSession();
    await a.requestCompleted(s.id);
    await waitFor(harness.clock, () => holders([a, b, c], s.id) === 2, "the backup copy");
    const backupIndex = [a, b, c].findIndex((m, i) => i > 0 && m.store.get(s.id) !== undefined);
    await harness.nodes[backupIndex].stop();
    const survivor = [a, b, c][3 - backupIndex];
    await waitFor(harness.clock, () => survivor.store.get(s.id) !== undefined, "a new backup");
    assert.ok(a.findSession(s.id));
  });

  it("tells a node that joins late where every session lives", async () => {
    harness = backupHarness({ sendOptions: 6 });
    const a = await harness.createNode();
    await a.start();
    const s = a.createSession();
    await a.requestCompleted(s.id);
    const late = await harness.createNode();
    await late.start();
    assert.equal(late.sessionCount, 1);
    assert.ok(late.placeOf(s.id));
  });
});

managerConformance("BackupManager (sync-ack)", () => backupHarness({ sendOptions: 6 }));
managerConformance("BackupManager (async)", () => backupHarness({ sendOptions: 8 }));
