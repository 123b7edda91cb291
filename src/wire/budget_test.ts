/** The receiver's byte budget: a reserve per connection, a shared pool, waiters woken in order. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteBudget } from "./budget.ts";

describe("ByteBudget", () => {
  it("splits the limit into a reserve per connection and a pool", () => {
    const budget = new ByteBudget(64 * 1024 * 1024, 256);
    assert.equal(budget.reserve, 128 * 1024);
    assert.equal(budget.pool, 32 * 1024 * 1024);
  });

  it("is over only when the bytes beyond the reserves pass the pool", () => {
    const budget = new ByteBudget(1000, 5); // reserve 100, pool 500
    for (let i = 0; i < 5; i++) budget.change(0, 100); // every reserve full, nothing drawn
    assert.equal(budget.used, 500);
    assert.equal(budget.over, false);
    budget.change(100, 600); // one connection draws the whole pool
    assert.equal(budget.over, false);
    budget.change(100, 101);
    assert.equal(budget.over, true);
    assert.equal(budget.used, 1001);
  });

  it("wakes waiters in arrival order once bytes are released, and not those cancelled", () => {
    const budget = new ByteBudget(1000, 5);
    budget.change(0, 700); // draws 600 > pool 500
    const woken: string[] = [];
    budget.wait(() => woken.push("a"));
    const b = () => woken.push("b");
    budget.wait(b);
    budget.wait(() => woken.push("c"));
    budget.cancel(b);
    assert.equal(budget.waiting, 2);
    budget.change(700, 650); // still over: nobody wakes
    assert.deepEqual(woken, []);
    budget.change(650, 0);
    assert.deepEqual(woken, ["a", "c"]);
    assert.equal(budget.waiting, 0);
  });
});
