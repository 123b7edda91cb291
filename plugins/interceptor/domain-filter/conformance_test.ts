import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { interceptorConformance } from "../../../src/conformance/interceptor.ts";
import { INTERCEPTOR_LINK } from "../../../src/interfaces/interceptor.ts";
import type { Member } from "../../../src/interfaces/member.ts";
import { InterceptorBase } from "../../../src/kernel/interceptor_base.ts";
import { tcpMember, testComponents } from "../../../src/testing/tcp_harness.ts";
import plugin from "./mod.ts";

// The conformance suite's members have domain "": a filter for "" passes them all.
interceptorConformance("DomainFilterInterceptor", {
  create: () => Promise.resolve(plugin.create({ domain: "" }, testComponents())),
});

describe("DomainFilterInterceptor", () => {
  it("reports only members of its domain, and drops messages from the others", async () => {
    const layer = await plugin.create({ domain: "shop" }, testComponents());
    const added: Member[] = [];
    const received: Member[] = [];
    const top = new (class extends InterceptorBase {
      override memberAdded(m: Member) {
        added.push(m);
      }
      override messageReceived(m: { address: Member }) {
        received.push(m.address);
        return Promise.resolve();
      }
    })();
    const shop = { ...tcpMember("127.0.0.1", 4001), domain: "shop" };
    const other = { ...tcpMember("127.0.0.1", 4002), domain: "blog" };
    const bottom = new (class extends InterceptorBase {
      override getMembers() {
        return [shop, other];
      }
    })();
    top[INTERCEPTOR_LINK](layer, undefined);
    layer[INTERCEPTOR_LINK](bottom, top);
    layer.memberAdded(shop);
    layer.memberAdded(other);
    for (const address of [shop, other]) {
      await layer.messageReceived({
        options: 0,
        timestamp: 0,
        uniqueId: shop.id,
        address,
        payload: new Uint8Array(0),
      });
    }
    assert.deepEqual(added, [shop]);
    assert.deepEqual(received, [shop]);
    assert.deepEqual(layer.getMembers(), [shop]);
  });
});
