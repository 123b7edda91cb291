/**
 * The manager conformance suite: every Manager plugin runs it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Manager, SessionRecord } from "../interfaces/manager.ts";
import type { ManualClock } from "../kernel/manual_clock.ts";

/** What a test may ask of one node's manager. */
export interface ManagerNodeOptions {
  /** The manager's `maxActiveSessions`. @default -1 */
  maxActiveSessions?: number;
}

/** What a manager implementation provides to run the suite. */
export interface ManagerHarness {
  clock: ManualClock;
  /**
   * Starts a node (channel included) on a network shared by the harness's nodes, and returns its
   * manager once the node sees every node started before it. The manager is not started.
   */
  createNode(options?: ManagerNodeOptions): Promise<Manager>;
  teardown(): Promise<void>;
}

/** The session as the request path reaches it: held here, or fetched from where it lives. */
async function reach(manager: Manager, id: string): Promise<SessionRecord | undefined> {
  return manager.findSession(id) ?? await manager.fetchSession?.(id);
}

/** Advances the clock until `reach(manager, id)` satisfies `predicate`. */
async function waitReach(
  clock: ManualClock,
  manager: Manager,
  id: string,
  predicate: (found: SessionRecord | undefined) => boolean,
  what: string,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (predicate(await reach(manager, id))) return;
    await clock.advance(100);
  }
  throw new Error(`Timed out (on the test clock) waiting for ${what}`);
}

/** Advances the clock by `ms` in steps of one second, so heartbeats keep members alive. */
async function pass(clock: ManualClock, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 1000) await clock.advance(Math.min(1000, left));
}

const codeOf = (code: string) => (err: unknown) => (err as { code?: string }).code === code;

/** A fresh id of the form every manager must accept: 32 hex digits, `.`, a route. */
function freshId(route: string): string {
  const hex = Array.from(
    crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `${hex}.${route}`;
}

/** Registers the suite under `describe("manager conformance: <name>")`. */
export function managerConformance(name: string, makeHarness: () => ManagerHarness): void {
  describe(`manager conformance: ${name}`, () => {
    let harness: ManagerHarness;
    afterEach(() => harness?.teardown());
    /** A new harness with `count` started managers. */
    const started = async (count: number, options?: ManagerNodeOptions): Promise<Manager[]> => {
      harness = makeHarness();
      const managers: Manager[] = [];
      for (let i = 0; i < count; i++) {
        const manager = await harness.createNode(options);
        await manager.start();
        managers.push(manager);
      }
      return managers;
    };

    it("a session changed on one node is visible on another after replication", async () => {
      const [a, b] = await started(2);
      const session = a.createSession();
      session.attributes.set("user", "alice");
      session.attributes.set("cart", [1, 2, 3]);
      await a.requestCompleted(session.id);
      await waitReach(
        harness.clock,
        b,
        session.id,
        (found) => found?.attributes.get("user") === "alice",
        "replication",
      );
      assert.deepEqual((await reach(b, session.id))?.attributes.get("cart"), [1, 2, 3]);
      // The next request on a reaches the session as the request path does (a manager that
      // moved it to b brings it back).
      const again = await reach(a, session.id);
      assert.ok(again, "a reaches the session again");
      again.attributes.set("user", "bob");
      await a.requestCompleted(again.id);
      await waitReach(
        harness.clock,
        b,
        session.id,
        (found) => found?.attributes.get("user") === "bob",
        "the update",
      );
    });

    it("a node that joins late gets a full copy once start() resolves", async () => {
      const [a] = await started(1);
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
      for (const [i, id] of ids.entries()) {
        assert.equal((await reach(late, id))?.attributes.get("n"), i);
      }
    });

    it("never returns an expired session, on any node; access() keeps one alive", async () => {
      const [a, b] = await started(2);
      const session = a.createSession();
      session.setMaxInactiveInterval(30);
      session.attributes.set("k", 1);
      await a.requestCompleted(session.id);
      const id = session.id;
      await pass(harness.clock, 20_000);
      const held = a.findSession(id);
      assert.ok(held, "live after 20 s of a 30 s timeout");
      a.access(held);
      assert.equal(held.lastAccessedTime, a.now());
      await pass(harness.clock, 20_000);
      assert.ok(a.findSession(id), "live 20 s after an access");
      await pass(harness.clock, 11_000);
      assert.equal(a.findSession(id), undefined, "expired 31 s after the last access");
      assert.ok(![...a.sessions()].some((s) => s.id === id), "not listed either");
      assert.equal(await reach(b, id), undefined, "nor served by another node");
    });

    it("new sessions get the manager's maxInactiveInterval, the same on every node", async () => {
      const [a, b] = await started(2);
      const [first, second] = [a.createSession(), b.createSession()];
      assert.equal(first.maxInactiveInterval, second.maxInactiveInterval);
      // Optional in the contract: a manager that offers it must mean what new sessions get.
      if (a.maxInactiveInterval !== undefined) {
        assert.equal(first.maxInactiveInterval, a.maxInactiveInterval);
        assert.equal(b.maxInactiveInterval, a.maxInactiveInterval);
      }
    });

    it("refuses a session beyond maxActiveSessions with SESSION_ERR_TOO_MANY", async () => {
      const [a] = await started(1, { maxActiveSessions: 2 });
      assert.equal(a.maxActiveSessions, 2);
      const first = a.createSession();
      await a.requestCompleted(first.id);
      await a.requestCompleted(a.createSession().id);
      assert.throws(() => a.createSession(), codeOf("SESSION_ERR_TOO_MANY"));
      assert.throws(() => a.createSession(freshId("x")), codeOf("SESSION_ERR_TOO_MANY"));
      await a.invalidate(first.id);
      assert.ok(a.createSession().id, "room again after an end");
    });

    it("invalidate() ends a session on every node, and its id never comes back", async () => {
      const [a, b] = await started(2);
      const session = a.createSession();
      session.attributes.set("user", "alice");
      await a.requestCompleted(session.id);
      const id = session.id;
      await a.invalidate(id);
      assert.equal(a.findSession(id), undefined);
      await waitReach(harness.clock, b, id, (found) => found === undefined, "the end on b");
      assert.throws(() => a.createSession(id), codeOf("SESSION_ERR_ID"));
      assert.throws(() => b.createSession(id), codeOf("SESSION_ERR_ID"));
    });

    it("changeId() keeps the data under a new id; the old id ends everywhere", async () => {
      const [a, b] = await started(2);
      const session = a.createSession();
      session.attributes.set("user", "alice");
      await a.requestCompleted(session.id);
      const old = session.id;
      const moved = a.changeId(session);
      assert.notEqual(moved.id, old);
      assert.equal(moved.id.split(".")[1], old.split(".")[1], "the same route");
      assert.equal(moved.attributes.get("user"), "alice");
      await a.requestCompleted(moved.id);
      assert.equal(a.findSession(old), undefined);
      await waitReach(harness.clock, b, old, (found) => found === undefined, "the old id's end");
      await waitReach(
        harness.clock,
        b,
        moved.id,
        (found) => found?.attributes.get("user") === "alice",
        "the new id on b",
      );
    });

    it("rebind() moves a session to a route, and the other node knows it by the new id", async () => {
      const [a, b] = await started(2);
      const session = a.createSession();
      session.attributes.set("n", 7);
      await a.requestCompleted(session.id);
      const [base] = session.id.split(".");
      const id = a.rebind(session, "elsewhere");
      assert.equal(id, `${base}.elsewhere`);
      assert.equal(a.findSession(id)?.id, id);
      await a.requestCompleted(id);
      await waitReach(
        harness.clock,
        b,
        id,
        (found) => found?.id === id && found.attributes.get("n") === 7,
        "the new route on b",
      );
    });

    it("creates a session under a given fresh id, and refuses a malformed or used one", async () => {
      const [a] = await started(1);
      const id = freshId("given");
      const session = a.createSession(id);
      assert.equal(session.id, id);
      assert.equal(a.findSession(id), session);
      assert.throws(() => a.createSession(id), codeOf("SESSION_ERR_ID"));
      assert.throws(() => a.createSession("not-an-id"), codeOf("SESSION_ERR_ID"));
    });

    it("sessions() lists the live sessions held here", async () => {
      const [a] = await started(1);
      const short = a.createSession();
      short.setMaxInactiveInterval(1);
      const long = a.createSession();
      await a.requestCompleted(short.id);
      await a.requestCompleted(long.id);
      assert.deepEqual(new Set([...a.sessions()].map((s) => s.id)), new Set([short.id, long.id]));
      assert.ok(a.sessionCount >= 2);
      await pass(harness.clock, 1500);
      assert.deepEqual([...a.sessions()].map((s) => s.id), [long.id]);
    });

    it("start() and stop() are idempotent", async () => {
      const [a] = await started(1);
      await a.start();
      await a.stop();
      await a.stop();
      assert.equal(typeof a.name, "string");
    });
  });
}
