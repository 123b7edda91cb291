/**
 * Issue 13, "bytes are data": what a hostile peer sends to a DeltaManager is refused with a coded
 * error, stored nowhere, and leaves replication working: versions that would make the node's
 * counter unsafe, a huge bignum, a cycle and class instances.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Member } from "../../../src/interfaces/member.ts";
import { type DeltaHarness, deltaHarness } from "../../../src/testing/delta_harness.ts";
import {
  bignum,
  cycle,
  deliverRaw,
  deltaSetting,
  deltaWith,
  instances,
  nested,
} from "../../../src/testing/hostile_bytes.ts";
import { newSessionId } from "../../../src/session/ids.ts";
import { maxPeerCounter } from "../../../src/session/store.ts";
import { checkValue } from "../../../src/session/values.ts";
import type { DeltaManager } from "./manager.ts";

const SAFE = Number.MAX_SAFE_INTEGER;

function delta(id: string, counter: number) {
  return {
    id,
    created: 0,
    accessed: 0,
    interval: 1800,
    meta: [counter, "peer"],
    attrs: [["k", "injected", [counter, "peer"]]],
  };
}

describe("DeltaManager against a hostile peer", () => {
  let harness: DeltaHarness;
  afterEach(() => harness?.teardown());

  /** Three started managers; `send` goes from the first node to the second only. */
  async function three() {
    harness = deltaHarness();
    const managers: DeltaManager[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await harness.createNode();
      await m.start();
      managers.push(m);
    }
    const [from, to] = harness.nodes;
    const target = from.channel.getMembers().find((m) => m.jvmRoute === to.jvmRoute) as Member;
    return {
      managers,
      target,
      send: (value: unknown) => from.channel.send([target], value, 6),
      raw: (bytes: Uint8Array) => deliverRaw(harness.network, from, target, bytes),
    };
  }

  /** Every manager writes a session in turn, and every other one must hold it. */
  async function replicates(managers: DeltaManager[], rounds: number): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      for (const [i, m] of managers.entries()) {
        const session = m.createSession();
        session.attributes.set("k", `${round}/${i}`);
        await m.requestCompleted(session.id);
        for (const other of managers) {
          assert.equal(other.findSession(session.id)?.attributes.get("k"), `${round}/${i}`);
        }
      }
    }
  }

  it("refuses a delta carrying version 2^53-1, and replication goes on", async () => {
    const { managers, send } = await three();
    const id = newSessionId("n9");
    await assert.rejects(
      send({ cdm: 1, ctx: "/", t: "delta", d: delta(id, SAFE) }),
      /SESSION_ERR_REPLICATION.*counter of 0 to/,
    );
    assert.equal(managers[1].store.get(id), undefined);
    await replicates(managers, 2); // before: the second node's versions were refused by all
  });

  it("refuses a version just below 2^53, so that it cannot spread through normal traffic", async () => {
    const { managers, send } = await three();
    const id = newSessionId("n9");
    await assert.rejects(
      send({ cdm: 1, ctx: "/", t: "delta", d: delta(id, SAFE - 3) }),
      /SESSION_ERR_REPLICATION/,
    );
    await replicates(managers, 3); // before: all three nodes stopped replicating
  });

  it("keeps replicating after a peer sends the highest counter it accepts", async () => {
    const { managers, send } = await three();
    const id = newSessionId("n9");
    await send({ cdm: 1, ctx: "/", t: "delta", d: delta(id, maxPeerCounter(Date.now())) });
    assert.equal(managers[1].store.get(id)?.attributes.get("k"), "injected");
    await replicates(managers, 3);
  });

  it("refuses a 160 KB bignum in a payload without building it", async () => {
    const { managers, raw } = await three();
    const id = newSessionId("n9");
    await assert.rejects(
      raw(deltaWith(deltaSetting(id, "n", bignum(160 * 1024)))),
      /CHANNEL_ERR_PAYLOAD.*163840-byte bignum/,
    );
    assert.equal(managers[1].store.get(id), undefined);
    await replicates(managers, 1);
  });

  for (const [name, bytes] of [["a cycle", cycle], ...Object.entries(instances)] as const) {
    it(`refuses ${name} in an attribute and stores nothing`, async () => {
      const { managers, raw } = await three();
      const id = newSessionId("n9");
      await assert.rejects(raw(deltaWith(deltaSetting(id, "x", bytes()))), /CHANNEL_ERR_PAYLOAD/);
      assert.equal(managers[1].store.get(id), undefined);
      // The same message with a number instead is applied: only the value was at fault.
      await raw(deltaWith(deltaSetting(id, "x", new Uint8Array([0x05]))));
      assert.equal(managers[1].store.get(id)?.attributes.get("x"), 5);
      await replicates(managers, 1);
    });
  }

  it("checks replicated values as set does: one nested too deep is refused, not stored", async () => {
    const { managers, raw } = await three();
    const id = newSessionId("n9");
    await assert.rejects(
      raw(deltaWith(deltaSetting(id, "x", nested(70)))),
      /SESSION_ERR_REPLICATION.*nesting deeper than 64/,
    );
    assert.equal(managers[1].store.get(id), undefined);
    // The same value given to set() is refused with the same words.
    let value: unknown = 0;
    for (let i = 0; i < 70; i++) value = [value];
    assert.throws(() => checkValue("x", value), /SESSION_ERR_VALUE|nesting deeper than 64/);
  });
});
