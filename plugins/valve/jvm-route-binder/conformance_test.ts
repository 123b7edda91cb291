import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fakeExchange } from "../../../src/testing/exchange.ts";
import { testComponents } from "../../../src/testing/tcp_harness.ts";
import plugin, { type JvmRouteBinderValve } from "./mod.ts";

const id = "0123456789abcdef0123456789abcdef";

describe("JvmRouteBinderValve", () => {
  it("rebinds a session routed to another node before the app runs", async () => {
    const valve = await plugin.create({ enabled: true }, testComponents()) as JvmRouteBinderValve;
    const { exchange, calls } = fakeExchange("/", `${id}.n1`, "n2");
    await valve.invoke(exchange, () => {
      calls.push("app");
      return Promise.resolve(new Response("ok"));
    });
    assert.deepEqual(calls, ["rebind", "app"]);
    assert.equal(valve.rebinds, 1);
  });

  it("leaves sessions of this node, unknown sessions and disabled valves alone", async () => {
    const valve = await plugin.create({ enabled: true }, testComponents());
    const own = fakeExchange("/", `${id}.n2`, "n2");
    await valve.invoke(own.exchange, () => Promise.resolve(new Response("ok")));
    const none = fakeExchange("/", undefined, "n2");
    await valve.invoke(none.exchange, () => Promise.resolve(new Response("ok")));
    const off = await plugin.create({ enabled: false }, testComponents());
    const foreign = fakeExchange("/", `${id}.n1`, "n2");
    await off.invoke(foreign.exchange, () => Promise.resolve(new Response("ok")));
    assert.deepEqual([own.calls, none.calls, foreign.calls], [[], [], []]);
  });
});
