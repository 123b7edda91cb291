/**
 * The behaviour every session middleware shares, run against each framework's example on two
 * nodes: the counter carries on across nodes with the cookie rebound, a read creates no session,
 * an invalidated session is gone everywhere, bad cookies get a new session.
 *
 * @module
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import type { ClusterNode } from "../../src/kernel/node.ts";
import { cookieOf, get } from "./cluster.ts";

interface Counter {
  node: string;
  counter: number;
  session: string;
}

/** Registers the shared cases; the caller's `before` fills `nodes` and `urls` in place. */
export function middlewareCases(nodes: readonly ClusterNode[], urls: readonly string[]): void {
  it("counts on node A, then carries on on node B with the same cookie", async () => {
    const first = await get<Counter>(`${urls[0]}/`);
    assert.equal(first.body.counter, 1);
    assert.match(
      first.setCookies[0] ?? "",
      /^JSESSIONID=[0-9a-f]{32}\.n1; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    const cookie = cookieOf(first);
    const second = await get<Counter>(`${urls[0]}/`, cookie);
    assert.equal(second.body.counter, 2);
    assert.deepEqual(second.setCookies, [], "no new cookie for a known session");

    const failover = await get<Counter>(`${urls[1]}/`, cookie);
    assert.equal(failover.body.node, "n2");
    assert.equal(failover.body.counter, 3, "the counter carried on");
    const base = cookie.split("=")[1].split(".")[0];
    assert.equal(cookieOf(failover), `JSESSIONID=${base}.n2`, "rebound to n2's route");
    const again = await get<Counter>(`${urls[1]}/`, cookieOf(failover));
    assert.equal(again.body.counter, 4);
  });

  it("creates no session for a request that only reads", async () => {
    const before = nodes.map((n) => n.managers.get("/")?.sessionCount);
    const peek = await get<{ counter: number | null }>(`${urls[0]}/peek`);
    assert.equal(peek.body.counter, null);
    assert.deepEqual(peek.setCookies, []);
    assert.deepEqual(nodes.map((n) => n.managers.get("/")?.sessionCount), before);
  });

  it("ends an invalidated session on every node and expires its cookie", async () => {
    const cookie = cookieOf(await get<Counter>(`${urls[0]}/`));
    const logout = await get(`${urls[1]}/logout`, cookie);
    assert.deepEqual(logout.setCookies, [
      "JSESSIONID=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
    ]);
    const fresh = await get<Counter>(`${urls[0]}/`, cookie);
    assert.equal(fresh.body.counter, 1, "a new session");
    assert.notEqual(cookieOf(fresh), cookie);
  });

  it("answers malformed or unknown cookies with a new session", async () => {
    for (const bad of ["zzz", `${"a".repeat(32)}.n1`, "x".repeat(10_000)]) {
      const reply = await get<Counter>(`${urls[0]}/`, `JSESSIONID=${bad}`);
      assert.equal(reply.body.counter, 1, `a new session for ${bad.slice(0, 40)}`);
      assert.match(cookieOf(reply), /^JSESSIONID=[0-9a-f]{32}\.n1$/);
    }
  });
}
