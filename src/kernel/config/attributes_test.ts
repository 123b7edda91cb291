import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AttributeSchema } from "../../interfaces/attributes.ts";
import { assertConfigError } from "./_testing.ts";
import { describeSpec, validateAttributes } from "./attributes.ts";
import { substituteEnv } from "./env.ts";
import { parseJsonc } from "./json.ts";
import type { AttributeContext, ConfigWarning } from "./types.ts";

const RECEIVER: AttributeSchema = {
  address: { type: "string", default: "127.0.0.1" },
  port: { type: "integer", min: 1, max: 65535, default: 4000 },
  autoBind: { type: "integer", min: 0, default: 100 },
  ratio: { type: "number", min: 0, max: 1 },
  mode: { type: "string", enum: ["fast", "safe"], default: "safe" },
  direct: { type: "boolean", default: false },
  tls: { type: "object" },
  members: { type: "array", default: [] },
  extra: { type: "any" },
};

/** Parses `text` with `env` substituted, and validates the slot at `path` against RECEIVER. */
function check(
  text: string,
  options: { env?: Record<string, string>; strict?: boolean; path?: string } = {},
) {
  const parsed = parseJsonc(text, "slot.json");
  const { value, substituted } = substituteEnv(parsed.value, {
    file: "slot.json",
    positions: parsed.positions,
    env: options.env ?? {},
  });
  const warnings: ConfigWarning[] = [];
  const path = options.path ?? "";
  let raw = value as Record<string, unknown>;
  if (path !== "") { for (const key of path.split(".")) raw = raw[key] as Record<string, unknown>; }
  const ctx: AttributeContext = {
    file: "slot.json",
    path,
    positions: parsed.positions,
    substituted,
    strict: options.strict ?? false,
    warn: (w) => warnings.push(w),
  };
  return { result: validateAttributes(raw, RECEIVER, ctx), warnings };
}

describe("validateAttributes()", () => {
  it("validateAttributes() fills defaults and skips className", () => {
    const { result, warnings } = check('{"className": "NioReceiver", "port": 4001}');
    assert.deepEqual(result, {
      address: "127.0.0.1",
      port: 4001,
      autoBind: 100,
      mode: "safe",
      direct: false,
      members: [],
    });
    assert.deepEqual(warnings, []);
  });

  it("validateAttributes() gives every slot its own copy of an object default", () => {
    const a = check("{}").result;
    (a.members as unknown[]).push(1);
    assert.deepEqual(check("{}").result.members, []);
  });

  it("validateAttributes() coerces substituted strings to numbers and booleans", () => {
    const { result } = check(
      '{"port": "${PORT}", "ratio": "${RATIO:-0.5}", "direct": "${DIRECT:-true}", "autoBind": "${AB:-0}"}',
      { env: { PORT: "4000" } },
    );
    assert.equal(result.port, 4000);
    assert.equal(result.ratio, 0.5);
    assert.equal(result.direct, true);
    assert.equal(result.autoBind, 0);
  });

  it("validateAttributes() rejects a string written in the file where an integer is expected", () => {
    assertConfigError(() => check('{\n  "port": "4000"\n}'), {
      code: "CONFIG_ERR_TYPE",
      file: "slot.json",
      path: "port",
      found: '"4000" (string)',
      expected: "an integer from 1 to 65535",
      line: 2,
      column: 11,
    });
  });

  it("validateAttributes() rejects a substituted string that is not a number", () => {
    assertConfigError(() => check('{"port": "${PORT}"}', { env: { PORT: "40o0" } }), {
      code: "CONFIG_ERR_TYPE",
      path: "port",
      found: '"40o0" (string)',
      expected: "an integer from 1 to 65535",
    });
    assertConfigError(() => check('{"direct": "${D}"}', { env: { D: "yes" } }), {
      code: "CONFIG_ERR_TYPE",
      path: "direct",
      found: '"yes" (string)',
      expected: "true or false",
    });
  });

  it("validateAttributes() rejects a fraction for an integer with CONFIG_ERR_TYPE", () => {
    assertConfigError(() => check('{"port": 4000.5}'), {
      code: "CONFIG_ERR_TYPE",
      path: "port",
      found: "4000.5 (number)",
      expected: "an integer from 1 to 65535",
    });
  });

  it("validateAttributes() rejects out-of-range numbers with CONFIG_ERR_RANGE at the value's path", () => {
    assertConfigError(() => check('{"receiver": {"port": 70000}}', { path: "receiver" }), {
      code: "CONFIG_ERR_RANGE",
      path: "receiver.port",
      found: "70000 (number)",
      expected: "an integer from 1 to 65535",
      line: 1,
      column: 23,
    });
    assertConfigError(() => check('{"autoBind": -1}'), {
      code: "CONFIG_ERR_RANGE",
      expected: "an integer of at least 0",
    });
    assertConfigError(() => check('{"ratio": 1.5}'), {
      code: "CONFIG_ERR_RANGE",
      expected: "a number from 0 to 1",
    });
  });

  it("validateAttributes() rejects a value outside an enum with CONFIG_ERR_RANGE, listing the choices", () => {
    assertConfigError(() => check('{"mode": "quick"}'), {
      code: "CONFIG_ERR_RANGE",
      path: "mode",
      found: '"quick" (string)',
      expected: 'one of "fast", "safe"',
    });
  });

  it("validateAttributes() checks strings, booleans, objects and arrays by type", () => {
    const cases: [string, string, string][] = [
      ['{"address": 1}', "1 (number)", "a string"],
      ['{"direct": "true"}', '"true" (string)', "true or false"],
      ['{"tls": []}', "[] (array)", "an object"],
      ['{"members": {}}', "{} (object)", "an array"],
      ['{"port": null}', "null", "an integer from 1 to 65535"],
    ];
    for (const [text, found, expected] of cases) {
      assertConfigError(() => check(text), { code: "CONFIG_ERR_TYPE", found, expected });
    }
  });

  it("validateAttributes() rejects non-finite numbers passed in code", () => {
    const ctx: AttributeContext = {
      file: "<code>",
      path: "receiver",
      positions: new Map(),
      substituted: new Set(),
      strict: false,
      warn: () => {},
    };
    assertConfigError(() => validateAttributes({ ratio: Infinity }, RECEIVER, ctx), {
      code: "CONFIG_ERR_TYPE",
      path: "receiver.ratio",
      found: "Infinity (number)",
      line: undefined,
    });
  });

  it("validateAttributes() warns once per slot, listing the unknown and all accepted attributes", () => {
    const { result, warnings } = check(
      '{"r": {"className": "NioReceiver", "prot": 4000, "adress": "x", "port": 1}}',
      { path: "r" },
    );
    assert.equal(result.port, 1);
    assert.equal(warnings.length, 1);
    const [warning] = warnings;
    assert.equal(warning.code, "CONFIG_ERR_UNKNOWN_ATTRIBUTE");
    assert.equal(warning.path, "r");
    assert.deepEqual(warning.unknown, ["prot", "adress"]);
    assert.deepEqual(warning.accepted, [
      "address",
      "autoBind",
      "direct",
      "extra",
      "members",
      "mode",
      "port",
      "ratio",
      "tls",
    ]);
    assert.equal(warning.line, 1);
    assert.equal(warning.column, 44);
    assert.match(warning.message, /"prot", "adress" at r in slot\.json:1:44; accepted: address, /);
    assert.deepEqual(warning.didYouMean, { prot: "port", adress: "address" });
    assert.match(warning.message, /\(did you mean "port" for "prot", "address" for "adress"\?\)$/);
  });

  it("validateAttributes() suggests only names close to a typo", () => {
    const { warnings } = check('{"r": {"frequncy": 1, "colour": 2}}', { path: "r" });
    const [warning] = warnings;
    assert.deepEqual(warning.unknown, ["frequncy", "colour"]);
    assert.deepEqual(warning.didYouMean, {});
    assert.doesNotMatch(warning.message, /did you mean/);
  });

  it("validateAttributes() throws CONFIG_ERR_UNKNOWN_ATTRIBUTE for unknown attributes with strict", () => {
    assertConfigError(
      () => check('{"r": {"port": 1,\n "prot": 4000}}', { path: "r", strict: true }),
      {
        code: "CONFIG_ERR_UNKNOWN_ATTRIBUTE",
        path: "r.prot",
        found: 'unknown attribute "prot"',
        expected:
          "only the accepted attributes: address, autoBind, direct, extra, members, mode, " +
          'port, ratio, tls (did you mean "port"?)',
        line: 2,
        column: 10,
      },
    );
  });
});

describe("describeSpec()", () => {
  it("describeSpec() words each kind of attribute for an error's expected text", () => {
    assert.equal(
      describeSpec({ type: "integer", min: 1, max: 65535 }),
      "an integer from 1 to 65535",
    );
    assert.equal(describeSpec({ type: "integer" }), "an integer");
    assert.equal(describeSpec({ type: "number", max: 2 }), "a number of at most 2");
    assert.equal(describeSpec({ type: "string", enum: ["a", "b"] }), 'one of "a", "b"');
    assert.equal(describeSpec({ type: "any" }), "any value");
  });
});
