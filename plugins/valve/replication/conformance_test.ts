import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fakeExchange } from "../../../src/testing/exchange.ts";
import { testComponents } from "../../../src/testing/tcp_harness.ts";
import plugin, { type ReplicationValve } from "./mod.ts";

describe("ReplicationValve", () => {
  it("replicates after the app answered, except for URIs matching the filter", async () => {
    const valve = await plugin.create(
      { filter: "\\.(css|png)$", statistics: true },
      testComponents(),
    ) as ReplicationValve;
    const order: string[] = [];
    const page = fakeExchange("/cart");
    await valve.invoke(page.exchange, () => {
      order.push("app");
      return Promise.resolve(new Response("ok"));
    });
    assert.deepEqual(page.calls, ["replicate"]);
    assert.deepEqual(order, ["app"]);
    const asset = fakeExchange("/logo.png");
    await valve.invoke(asset.exchange, () => Promise.resolve(new Response("img")));
    assert.deepEqual(asset.calls, []);
    assert.deepEqual([valve.stats.requests, valve.stats.replicated, valve.stats.filtered], [
      2,
      1,
      1,
    ]);
  });

  it("answers the request even when replication fails", async () => {
    const valve = await plugin.create({ filter: "", statistics: false }, testComponents());
    const { exchange } = fakeExchange("/x");
    exchange.replicate = () => Promise.reject(new Error("member gone"));
    const response = await valve.invoke(exchange, () => Promise.resolve(new Response("ok")));
    assert.equal(await response.text(), "ok");
  });

  it("refuses a filter that is not a regular expression, naming it", () => {
    assert.throws(
      () => plugin.create({ filter: "(", statistics: false }, testComponents()),
      /regular expression/,
    );
  });
});
