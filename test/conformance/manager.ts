/**
 * The manager conformance suite: every Manager plugin runs it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Manager } from "../../src/interfaces/manager.ts";
import type { ManualClock } from "../../src/testing/manual_clock.ts";
import { waitFor } from "./wait.ts";

/** What a manager implementation provides to run the suite. */
export interface ManagerHarness {
  clock: ManualClock;
  /**
   * Starts a node (channel included) on a network shared by the harness's nodes, and returns its
   * manager once the node sees every node started before it. The manager is not started.
   */
  createNode(): Promise<Manager>;
  teardown(): Promise<void>;
}

/** Registers the suite under `describe("manager conformance: <name>")`. */
export function managerConformance(name: string, makeHarness: () => ManagerHarness): void {
  describe(`manager conformance: ${name}`, () => {
    let harness: ManagerHarness;
    afterEach(() => harness?.teardown());

    it("a session changed on one node is visible on another after replication", async () => {
      harness = makeHarness();
      const a = await harness.createNode();
      await a.start();
      const b = await harness.createNode();
      await b.start();
      const session = a.createSession();
      session.attributes.set("user", "alice");
      session.attributes.set("cart", [1, 2, 3]);
      await a.requestCompleted(session.id);
      await waitFor(
        harness.clock,
        () => b.findSession(session.id)?.attributes.get("user") === "alice",
        "replication",
      );
      assert.deepEqual(b.findSession(session.id)?.attributes.get("cart"), [1, 2, 3]);
      session.attributes.set("user", "bob");
      await a.requestCompleted(session.id);
      await waitFor(
        harness.clock,
        () => b.findSession(session.id)?.attributes.get("user") === "bob",
        "the update",
      );
    });

    it("a node that joins late gets a full copy once start() resolves", async () => {
      harness = makeHarness();
      const a = await harness.createNode();
      await a.start();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const s = a.createSession();
        s.attributes.set("n", i);
        await a.requestCompleted(s.id);
        ids.push(s.id);
      }
      const late = await harness.createNode();
      await late.start();
      assert.equal(late.sessionCount, 3);
      ids.forEach((id, i) => assert.equal(late.findSession(id)?.attributes.get("n"), i));
    });

    it("start() and stop() are idempotent", async () => {
      harness = makeHarness();
      const a = await harness.createNode();
      await a.start();
      await a.start();
      await a.stop();
      await a.stop();
      assert.equal(typeof a.name, "string");
    });
  });
}
