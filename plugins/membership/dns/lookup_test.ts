/**
 * DnsLookup against a real dnsmasq on 127.0.0.1: A and AAAA together, SRV with its targets'
 * addresses, the cap on addresses taken, an empty answer, and a coded error when no server answers.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConclaveError } from "../../../src/errors.ts";
import { Dnsmasq, dnsmasqUnavailable } from "../../../src/testing/dnsmasq.ts";
import { DnsLookup } from "./lookup.ts";

const skip = dnsmasqUnavailable();
if (skip) console.log(`lookup_test.ts: skipped, ${skip}`);

const hosts = (targets: { host: string; port?: number }[]) =>
  targets.map((t) => t.port === undefined ? t.host : `${t.host}:${t.port}`).sort();

describe("DnsLookup", () => {
  let server: Dnsmasq | undefined;
  let lookup: DnsLookup;

  before(async () => {
    if (skip) return;
    server = await Dnsmasq.start(
      [
        { name: "both.test", address: "127.0.0.5" },
        { name: "both.test", address: "::1" },
        ...[1, 2, 3, 4, 5].map((n) => ({ name: "many.test", address: `127.0.1.${n}` })),
        { name: "t1.test", address: "127.0.2.1" },
        { name: "t2.test", address: "::1" },
        { name: "t3.test", address: "127.0.2.3" },
      ],
      [
        { name: "_c._tcp.srv.test", target: "t1.test", port: 4001 },
        { name: "_c._tcp.srv.test", target: "t2.test", port: 4002 },
        { name: "_c._tcp.srv.test", target: "t3.test", port: 4003 },
        { name: "_c._tcp.dangling.test", target: "nowhere.test", port: 4004 },
      ],
    );
    lookup = new DnsLookup([server.server]);
  });
  after(() => server?.stop());

  it("returns A and AAAA records together", { skip: skip ?? false }, async () => {
    const answer = await lookup.lookup("both.test", false, 10);
    assert.deepEqual(hosts(answer.targets), ["127.0.0.5", "::1"]);
    assert.equal(answer.dropped, 0);
  });

  it("answers a name without records with no addresses", { skip: skip ?? false }, async () => {
    assert.deepEqual(await lookup.lookup("absent.test", false, 10), { targets: [], dropped: 0 });
    assert.deepEqual(await lookup.lookup("_c._tcp.absent.test", true, 10), {
      targets: [],
      dropped: 0,
    });
  });

  it("takes at most `limit` addresses and counts the rest", { skip: skip ?? false }, async () => {
    const answer = await lookup.lookup("many.test", false, 2);
    assert.equal(answer.targets.length, 2);
    assert.equal(answer.dropped, 3);
    for (const t of answer.targets) assert.match(t.host, /^127\.0\.1\.[1-5]$/);
  });

  it("reads SRV records: each target's addresses at the record's port", {
    skip: skip ?? false,
  }, async () => {
    const answer = await lookup.lookup("_c._tcp.srv.test", true, 10);
    assert.deepEqual(hosts(answer.targets), ["127.0.2.1:4001", "127.0.2.3:4003", "::1:4002"]);
    // A target without addresses adds nothing.
    assert.deepEqual(await lookup.lookup("_c._tcp.dangling.test", true, 10), {
      targets: [],
      dropped: 0,
    });
  });

  it("looks up no more SRV targets than `limit`", { skip: skip ?? false }, async () => {
    const answer = await lookup.lookup("_c._tcp.srv.test", true, 2);
    assert.equal(answer.targets.length, 2);
    assert.equal(answer.dropped, 1);
  });

  it("fails with MEMBERSHIP_ERR_DNS when no server answers", { skip: skip ?? false }, async () => {
    const port = server!.port;
    await server!.stop();
    const error = await new DnsLookup([`127.0.0.1:${port}`], 500).lookup("both.test", false, 10)
      .then(() => assert.fail("a lookup without a server succeeded"), (e: unknown) => e);
    assert.ok(error instanceof ConclaveError, String(error));
    assert.equal(error.code, "MEMBERSHIP_ERR_DNS");
    assert.match(error.message, /both\.test/);
  });
});
