import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertConfigError } from "./_testing.ts";
import { formatSendOptions, parseSendOptions } from "./send_options.ts";

const KNOWN = "a positive integer bit field, or a comma list of byte_message (byte), use_ack, " +
  "synchronized_ack (sync), asynchronous (async), secure, udp, multicast";

describe("parseSendOptions()", () => {
  it("parseSendOptions() accepts a bit field as a number or a decimal string", () => {
    assert.equal(parseSendOptions(8), 8);
    assert.equal(parseSendOptions("6"), 6);
    assert.equal(parseSendOptions(" 7 "), 7);
    assert.equal(parseSendOptions(0x108), 0x108);
  });

  it("parseSendOptions() ORs Tomcat's names and short names together", () => {
    assert.equal(parseSendOptions("byte_message"), 0x01);
    assert.equal(parseSendOptions("byte"), 0x01);
    assert.equal(parseSendOptions("use_ack"), 0x02);
    assert.equal(parseSendOptions("synchronized_ack"), 0x04);
    assert.equal(parseSendOptions("sync"), 0x04);
    assert.equal(parseSendOptions("asynchronous"), 0x08);
    assert.equal(parseSendOptions("async"), 0x08);
    assert.equal(parseSendOptions("secure"), 0x10);
    assert.equal(parseSendOptions("udp"), 0x20);
    assert.equal(parseSendOptions("multicast"), 0x40);
    assert.equal(parseSendOptions("use_ack,sync"), 6);
    assert.equal(parseSendOptions("  use_ack ,\tsynchronized_ack , async "), 14);
  });

  it("parseSendOptions() rejects an unknown name with CONFIG_ERR_SEND_OPTIONS listing the known names", () => {
    assertConfigError(
      () =>
        parseSendOptions("use_ack, asynch", {
          file: "c.json",
          path: "cluster.channelSendOptions",
          line: 3,
          column: 27,
        }),
      {
        code: "CONFIG_ERR_SEND_OPTIONS",
        file: "c.json",
        path: "cluster.channelSendOptions",
        found: 'the unknown name "asynch" in "use_ack, asynch"',
        expected: KNOWN,
        line: 3,
        column: 27,
      },
    );
  });

  it("parseSendOptions() rejects names in another case, as Tomcat does", () => {
    assertConfigError(() => parseSendOptions("ASYNC"), {
      code: "CONFIG_ERR_SEND_OPTIONS",
      found: 'the unknown name "ASYNC" in "ASYNC"',
    });
  });

  it("parseSendOptions() rejects an empty list item and an empty string", () => {
    assertConfigError(() => parseSendOptions("use_ack,,sync"), {
      code: "CONFIG_ERR_SEND_OPTIONS",
      found: 'an empty name in "use_ack,,sync"',
    });
    assertConfigError(() => parseSendOptions(""), {
      code: "CONFIG_ERR_SEND_OPTIONS",
      found: 'an empty name in ""',
    });
  });

  it("parseSendOptions() rejects zero, negative, fractional and too large bit fields", () => {
    for (const value of [0, -1, 1.5, 2 ** 31, "0", "-8"]) {
      assertConfigError(() => parseSendOptions(value), {
        code: "CONFIG_ERR_SEND_OPTIONS",
        path: "channelSendOptions",
        expected: KNOWN,
      });
    }
  });

  it("parseSendOptions() rejects values that are neither numbers nor strings with CONFIG_ERR_TYPE", () => {
    assertConfigError(() => parseSendOptions(true), {
      code: "CONFIG_ERR_TYPE",
      found: "true (boolean)",
      expected: KNOWN,
    });
  });
});

describe("formatSendOptions()", () => {
  it("formatSendOptions() names the bits highest first, as Tomcat does", () => {
    assert.equal(formatSendOptions(8), "async");
    assert.equal(formatSendOptions(6), "sync, use_ack");
    assert.equal(formatSendOptions(0x7f), "multicast, udp, secure, async, sync, use_ack, byte");
    assert.equal(formatSendOptions(0x108), "0x100, async");
  });
});
