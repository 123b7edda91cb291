/**
 * `ConclaveStore` as express-session expects of a store (issue 15): a session whose stored cookie
 * has expired is gone to the millisecond from `get`, `all` and `length`; `touch` keeps the stored
 * cookie current; a browser-session cookie gives back the manager's default timeout on every
 * node. Two nodes on the in-memory network, on a test clock.
 */
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import type session from "express-session";
import { waitFor } from "../../src/conformance/wait.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { ManualClock } from "../../src/kernel/manual_clock.ts";
import type { ClusterNode } from "../../src/kernel/node.ts";
import { ConclaveStore } from "../../src/library/express.ts";
import { createNode } from "../../src/node/node.ts";
import { createApp } from "../../examples/express/app.ts";
import { cookieOf, get, libraryConfig } from "./cluster.ts";

/** The manager's default timeout, seconds: not express-session's, not Conclave's default. */
const DEFAULT_TIMEOUT = 600;

// No sweep during a test: the store itself must refuse what expired.
const MANAGER = {
  className: "DeltaManager",
  maxInactiveInterval: DEFAULT_TIMEOUT,
  processExpiresFrequency: 3_600_000,
};

type Data = session.SessionData;

function call<T>(fn: (cb: (err: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => err ? reject(err) : resolve(value)));
}

/** The session an express-session request saves: its cookie as JSON, as every store gets it. */
function saved(now: number, maxAge: number | null, counter = 1): Data {
  const expires = maxAge === null ? null : new Date(now + maxAge).toISOString();
  return {
    cookie: { originalMaxAge: maxAge, expires, httpOnly: true, path: "/" },
    counter,
  } as unknown as Data;
}

const expiresOf = (data: Data | null | undefined) =>
  (data?.cookie as unknown as { expires: string | null } | undefined)?.expires;

describe("ConclaveStore as express-session expects", () => {
  // Near real time: express-session dates cookies by Date.now().
  const clock = new ManualClock(Date.now());
  const nodes: ClusterNode[] = [];
  let a: ConclaveStore;
  let b: ConclaveStore;

  before(async () => {
    const network = `express-store-${UniqueId.random().hex}`;
    for (const route of ["n1", "n2"]) {
      const node = await createNode(libraryConfig(network, route, MANAGER), {
        logger: silentLogger(),
        clock,
      });
      await node.start();
      nodes.push(node);
    }
    await waitFor(clock, () => nodes.every((n) => n.members().length === 1), "members");
    [a, b] = nodes.map((n) => new ConclaveStore(n));
  });
  after(async () => {
    for (const node of nodes) await node.stop();
  });
  beforeEach(async () => {
    await call((cb) => a.clear(cb));
  });

  const stored = (i: number, id: string) => nodes[i].managers.get("/")?.findSession(id);

  // First: it needs the test clock still near real time.
  it("express-session starts a new session for a cookie whose session expired (maxAge 1500)", async () => {
    const server: Server = createApp(nodes[0], "test-secret", { maxAge: 1500 })
      .listen(0, "127.0.0.1");
    await new Promise<void>((resolve) => server.once("listening", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      // Idle time counts on the test clock from the request: bring it to real time first.
      while (clock.now() < Date.now()) {
        await clock.advance(Math.min(1000, Date.now() - clock.now()));
      }
      const first = await get<{ counter: number; session: string }>(url);
      assert.equal(first.body.counter, 1);
      const id = first.body.session;
      const expires = Date.parse(String(expiresOf(await call<Data | null>((cb) => a.get(id, cb)))));
      assert.ok(expires - clock.now() > 100, "the test clock is not past the cookie yet");
      // Read shortly before: alive, and its idle time (2 s, the cookie's rounded up) starts
      // again, so the timeout cannot be why it ends. Within 2 s of the first access too, however
      // slowly express-session dated the cookie.
      const accessed = stored(0, id)?.lastAccessedTime ?? clock.now();
      await clock.advance(Math.min(expires - 100, accessed + 1900) - clock.now());
      assert.ok(await call<Data | null>((cb) => b.get(id, cb)), "alive before expiry");
      await clock.advance(expires + 100 - clock.now());
      const again = await get<{ counter: number; session: string }>(url, cookieOf(first));
      assert.equal(again.body.counter, 1, "a new session");
      assert.notEqual(again.body.session, id);
      assert.equal(stored(0, id), undefined, "the expired one ended on n1");
      assert.equal(stored(1, id), undefined, "and on n2");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("get() returns a session at 1400 ms of a 1500 ms cookie, and none at 1600 ms", async () => {
    const id = a.genid();
    await call((cb) => a.set(id, saved(clock.now(), 1500), cb));
    await clock.advance(1400);
    assert.equal(
      (await call<Data | null>((cb) => b.get(id, cb)) as { counter?: number })?.counter,
      1,
    );
    await clock.advance(200);
    assert.equal(await call<Data | null>((cb) => b.get(id, cb)), null, "n2: expired");
    assert.equal(await call<Data | null>((cb) => a.get(id, cb)), null, "n1: expired");
  });

  it("all() lists a 1500 ms session at 1400 ms, not at 1600 ms", async () => {
    const id = a.genid();
    const other = a.genid();
    await call((cb) => a.set(id, saved(clock.now(), 1500), cb));
    await call((cb) => a.set(other, saved(clock.now(), 60_000), cb));
    await clock.advance(1400);
    const listed = async () =>
      Object.keys(await call<Record<string, Data> | null>((cb) => b.all(cb)) ?? {});
    assert.deepEqual(new Set(await listed()), new Set([id, other]));
    await clock.advance(200);
    assert.deepEqual(await listed(), [other]);
  });

  it("length() agrees with all() once a cookie expired, before any sweep", async () => {
    const id = a.genid();
    await call((cb) => a.set(id, saved(clock.now(), 1500), cb));
    await call((cb) => a.set(a.genid(), saved(clock.now(), null), cb));
    assert.equal(await call<number>((cb) => b.length(cb)), 2);
    await clock.advance(1600);
    const all = await call<Record<string, Data> | null>((cb) => b.all(cb));
    assert.equal(Object.keys(all ?? {}).length, 1);
    assert.equal(await call<number>((cb) => b.length(cb)), 1, "the same count as all()");
  });

  it("touch() keeps get()'s cookie current within touchAfter, and replicates it after", async () => {
    const id = a.genid();
    await call((cb) => a.set(id, saved(clock.now(), 60_000), cb));
    const first = expiresOf(await call<Data | null>((cb) => a.get(id, cb)));
    await clock.advance(10_000);
    const rolled = saved(clock.now(), 60_000);
    await call((cb) => a.touch(id, rolled, () => cb(null)));
    assert.equal(expiresOf(await call<Data | null>((cb) => a.get(id, cb))), expiresOf(rolled));
    assert.equal(
      expiresOf(await call<Data | null>((cb) => b.get(id, cb))),
      first,
      "within touchAfter (60 s) the touch is not replicated",
    );
    await clock.advance(55_000); // past the first cookie's expiry, within the rolled one
    assert.ok(await call<Data | null>((cb) => a.get(id, cb)), "the rolled cookie keeps it alive");
    const later = saved(clock.now(), 60_000);
    await call((cb) => a.touch(id, later, () => cb(null)));
    assert.equal(expiresOf(await call<Data | null>((cb) => b.get(id, cb))), expiresOf(later));
  });

  it("a cookie turned into a browser-session cookie drops its timed lifetime, on either node", async () => {
    const id = a.genid();
    await call((cb) => a.set(id, saved(clock.now(), 2000), cb));
    assert.equal(stored(1, id)?.maxInactiveInterval, 2, "the cookie's lifetime, replicated");
    // Saved on the node that did not create it: the manager's default, not what n2 first saw.
    await call((cb) => b.set(id, saved(clock.now(), null, 2), cb));
    assert.equal(stored(1, id)?.maxInactiveInterval, DEFAULT_TIMEOUT);
    assert.equal(stored(0, id)?.maxInactiveInterval, DEFAULT_TIMEOUT, "replicated to n1");
    for (let s = 0; s < 5; s++) await clock.advance(1000);
    const data = await call<Data | null>((cb) => a.get(id, cb));
    assert.equal((data as { counter?: number } | null)?.counter, 2, "alive past the 2 s");

    await call((cb) => a.set(id, saved(clock.now(), 3000, 3), cb));
    assert.equal(stored(0, id)?.maxInactiveInterval, 3);
    await call((cb) => a.touch(id, saved(clock.now(), null, 3), () => cb(null)));
    assert.equal(stored(0, id)?.maxInactiveInterval, DEFAULT_TIMEOUT, "a touch drops it too");
  });
});
