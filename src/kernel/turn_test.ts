import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate } from "node:timers";
import { atTurnEnd } from "./turn.ts";

const twoTurns = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

describe("atTurnEnd", () => {
  it("runs the tasks of one turn in one pass, in the order they were added", async () => {
    const order: string[] = [];
    atTurnEnd(() => order.push("a"));
    atTurnEnd(() => order.push("b"));
    assert.deepEqual(order, [], "nothing runs before the turn ends");
    await twoTurns();
    assert.deepEqual(order, ["a", "b"]);
  });

  it("runs a task added by a task in the same pass, before the next turn", async () => {
    const order: string[] = [];
    atTurnEnd(() => {
      order.push("bundle");
      setImmediate(() => order.push("next turn"));
      atTurnEnd(() => order.push("its frames"));
    });
    await twoTurns();
    assert.deepEqual(order, ["bundle", "its frames", "next turn"]);
  });
});
