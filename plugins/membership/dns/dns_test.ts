/**
 * DnsMembershipService with a real dnsmasq whose records the tests change, nodes with real
 * receivers on loopback addresses of their own, on a manual clock: members appear when their
 * records do, an address leaving the answer is not a departure (its heartbeats stopping is),
 * found is not admitted, IPv6, and a DNS outage keeps the last answer.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { afterEach, describe, it } from "node:test";
import { StartOptions } from "../../../src/interfaces/message.ts";
import { type DnsHarness, dnsHarness, type DnsNode } from "../../../src/testing/dns_harness.ts";
import { dnsmasqUnavailable } from "../../../src/testing/dnsmasq.ts";
import { Recorder } from "../../../src/conformance/membership.ts";

const skip = dnsmasqUnavailable();
if (skip) console.log(`dns_test.ts: skipped, ${skip}`);

const ALL = StartOptions.MBR_RX_SEQ | StartOptions.MBR_TX_SEQ;
const DROP_TIME = 3000;

const sees = (a: DnsNode, b: DnsNode) =>
  a.membership.getMembers().some((m) => m.id.equals(b.membership.getLocalMember().id));
const routes = (a: DnsNode) => a.membership.getMembers().map((m) => m.jvmRoute).sort();

/** Steps the clock 100 ms at a time, letting each lookup the step began finish, until `done`. */
async function until(h: DnsHarness, done: () => boolean, what: string, steps = 150) {
  for (let i = 0; i < steps; i++) {
    if (done()) return;
    await h.clock.advance(100);
    await Promise.all(h.nodes.map((n) => n.membership.settled()));
  }
  assert.ok(done(), `timed out (on the test clock) waiting for ${what}`);
}

/** Lets `ms` of test time pass the same way. */
async function pass(h: DnsHarness, ms: number) {
  for (let t = 0; t < ms; t += 100) {
    await h.clock.advance(100);
    await Promise.all(h.nodes.map((n) => n.membership.settled()));
  }
}

async function startAll(nodes: DnsNode[]): Promise<Recorder[]> {
  const events = nodes.map(() => new Recorder());
  nodes.forEach((n, i) => n.membership.setListener(events[i]));
  for (const n of nodes) await n.membership.start(ALL);
  return events;
}

function ipv6Unavailable(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (e) => resolve(`cannot listen on ::1 (${e.message})`));
    server.listen(0, "::1", () => server.close(() => resolve(undefined)));
  });
}

describe("DnsMembershipService with a DNS server whose records change", () => {
  let h: DnsHarness | undefined;
  afterEach(async () => {
    await h?.teardown();
    h = undefined;
  });

  it("members appear when their records do", { skip: skip ?? false }, async () => {
    h = dnsHarness();
    const [a, b, c] = [await h.addNode(), await h.addNode(), await h.addNode()];
    await h.publish([]);
    await startAll([a, b, c]);
    // Nothing published: lookups run and heartbeats go nowhere for longer than dropTime.
    await pass(h, 2 * DROP_TIME);
    for (const n of [a, b, c]) {
      assert.ok(n.membership.describe().lookups >= 6, "the name was looked up every refresh");
      assert.deepEqual(routes(n), [], "no member without a record");
    }

    // a's record appears: b and c find a, and a learns them from their heartbeats.
    await h.publish([a]);
    await until(h, () => sees(b, a) && sees(c, a) && sees(a, b) && sees(a, c), "b and c to find a");
    // Nobody told b about c: with only a in DNS, they stay strangers.
    await pass(h, 2 * DROP_TIME);
    assert.deepEqual(routes(b), ["n2"]);
    assert.deepEqual(routes(c), ["n2"]);

    // b's record appears: c finds it.
    await h.publish([a, b]);
    await until(h, () => sees(b, c) && sees(c, b), "b and c to meet");
    for (const n of [a, b, c]) assert.equal(n.membership.getMembers().length, 2);
  });

  it("an address leaving the answer stays a member until its heartbeats stop", {
    skip: skip ?? false,
  }, async () => {
    h = dnsHarness();
    const [a, b, c] = [await h.addNode(), await h.addNode(), await h.addNode()];
    await h.publish([a, b, c]);
    const [ea, eb] = await startAll([a, b, c]);
    await until(h, () => [a, b, c].every((n) => n.membership.getMembers().length === 2), "a mesh");

    // Scaled down, step one: the record goes (as a Kubernetes endpoint does first).
    await h.publish([a, b]);
    const gone = `${c.bound.host}:${c.bound.port}`;
    await until(
      h,
      () => [a, b].every((n) => !n.membership.describe().addresses.includes(gone)),
      "a and b to see c's record gone",
    );
    await pass(h, 2 * DROP_TIME);
    assert.ok(sees(a, c) && sees(b, c), "c, alive but out of DNS, is still a member");
    assert.equal(ea.gone.length + eb.gone.length, 0);

    // Step two: the process stops without a word. Membership, not DNS, drops it.
    await c.stopTransport();
    await until(h, () => !sees(a, c) && !sees(b, c), "a and b to drop c", 100);
    for (const events of [ea, eb]) {
      assert.deepEqual(events.gone.map((m) => m.jvmRoute), ["n4"]);
    }
    assert.ok(sees(a, b) && sees(b, a), "a and b keep each other");
  });

  it("a host found in DNS without the secret never becomes a member", {
    skip: skip ?? false,
  }, async () => {
    h = dnsHarness({ attributes: { secret: "the-cluster-secret" } });
    const a = await h.addNode();
    const b = await h.addNode();
    const unsigned = await h.addNode({ secret: "" });
    const forger = await h.addNode({ secret: "another-secret" });
    await h.publish([a, b, unsigned, forger]);
    const [ea, eb] = await startAll([a, b, unsigned, forger]);
    // The intruders' heartbeats arrive, and are refused.
    await until(
      h,
      () =>
        sees(a, b) && sees(b, a) &&
        [a, b].every((n) => (n.membership.dropped.counts.MEMBERSHIP_ERR_AUTH ?? 0) >= 4),
      "a and b to meet and refuse heartbeats of both intruders",
    );
    await pass(h, 2 * DROP_TIME);
    assert.deepEqual(routes(a), ["n3"]);
    assert.deepEqual(routes(b), ["n2"]);
    assert.deepEqual(ea.added.map((m) => m.jvmRoute), ["n3"], "a never added an intruder");
    assert.deepEqual(eb.added.map((m) => m.jvmRoute), ["n2"], "b never added an intruder");
  });

  it("finds IPv6 members through AAAA records", { skip: skip ?? false }, async (t) => {
    const noIpv6 = await ipv6Unavailable();
    if (noIpv6) {
      console.log(`dns_test.ts: IPv6 case skipped, ${noIpv6}`);
      t.skip(noIpv6);
      return;
    }
    h = dnsHarness();
    const v4 = await h.addNode();
    const v6 = await h.addNode({}, "::1");
    assert.equal(v6.bound.host, "::1");
    await h.publish([v4, v6]);
    await startAll([v4, v6]);
    await until(h, () => sees(v4, v6) && sees(v6, v4), "the IPv4 and the IPv6 node to meet");
    assert.deepEqual(
      v4.membership.describe().addresses.sort(),
      [
        `${v4.bound.host}:${v4.bound.port}`,
        `[::1]:${v6.bound.port}`,
      ].sort(),
    );
    assert.equal(v4.membership.getMembers()[0].host, "::1");
  });

  it("keeps the last answer while the DNS server is down", { skip: skip ?? false }, async () => {
    // A stopped server may answer nothing at all (no ICMP): each lookup then takes readTimeout.
    h = dnsHarness({ attributes: { readTimeout: 200 } });
    const [a, b] = [await h.addNode(), await h.addNode()];
    await h.publish([a, b]);
    const [ea] = await startAll([a, b]);
    await until(h, () => sees(a, b) && sees(b, a), "a and b to meet");
    const before = a.membership.describe().addresses;

    await h.server!.stop();
    await until(h, () => a.membership.describe().failures >= 2, "lookups to fail");
    await pass(h, 2 * DROP_TIME);
    assert.deepEqual(a.membership.describe().addresses, before, "the last answer is kept");
    assert.ok(sees(a, b) && sees(b, a));
    assert.equal(ea.gone.length, 0);
  });

  it("takes at most maxAddresses addresses from an answer", { skip: skip ?? false }, async () => {
    h = dnsHarness({ attributes: { maxAddresses: 2 } });
    const nodes = [await h.addNode(), await h.addNode(), await h.addNode(), await h.addNode()];
    await h.publish(nodes);
    await startAll(nodes);
    await until(
      h,
      () => nodes.every((n) => n.membership.describe().lookups >= 1),
      "every node to look up",
    );
    for (const n of nodes) assert.equal(n.membership.describe().addresses.length, 2);
  });
});
