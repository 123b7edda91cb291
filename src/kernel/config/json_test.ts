import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError } from "../../errors.ts";
import { assertConfigError } from "./_testing.ts";
import { childPath, formatPath, MAX_DEPTH, parseJsonc } from "./json.ts";

const parse = (text: string) => parseJsonc(text, "t.json");

describe("parseJsonc()", () => {
  it("parseJsonc() returns the same values as JSON.parse for plain JSON", () => {
    const text = '{"a": [1, -2.5e3, 0, -0, 1E-2], "b": "x\\u00e9\\n\\"\\\\\\/", "c": true, ' +
      '"d": false, "e": null, "f": {}, "g": [], "": 7}';
    assert.deepEqual(parse(text).value, JSON.parse(text));
  });

  it("parseJsonc() records the 1-based line and column of every value by JSON path", () => {
    const text = [
      "{",
      '  "cluster": {',
      '    "channel": { "receiver": { "port": 4000 } },',
      '    "interceptors": [ {"className": "A"}, 2 ],',
      '    "my key": { "x": null }',
      "  }",
      "}",
    ].join("\n");
    const { positions } = parse(text);
    assert.deepEqual(positions.get(""), { line: 1, column: 1 });
    assert.deepEqual(positions.get("cluster"), { line: 2, column: 14 });
    assert.deepEqual(positions.get("cluster.channel.receiver.port"), { line: 3, column: 40 });
    assert.deepEqual(positions.get("cluster.interceptors[0]"), { line: 4, column: 23 });
    assert.deepEqual(positions.get("cluster.interceptors[0].className"), { line: 4, column: 37 });
    assert.deepEqual(positions.get("cluster.interceptors[1]"), { line: 4, column: 43 });
    assert.deepEqual(positions.get('cluster["my key"].x'), { line: 5, column: 22 });
  });

  it("parseJsonc() accepts // and /* */ comments wherever whitespace may go", () => {
    const text = [
      "// leading comment",
      '{ /* before a key */ "a" /* before the colon */ : // end of line',
      "  /* a comment",
      '     over two lines */ 1, "b": [ 2 /* inside */, 3 ] // trailing',
      "} /* after */",
    ].join("\n");
    const { value, positions } = parse(text);
    assert.deepEqual(value, { a: 1, b: [2, 3] });
    assert.deepEqual(positions.get("a"), { line: 4, column: 24 });
    assert.deepEqual(positions.get("b[1]"), { line: 4, column: 50 });
  });

  it("parseJsonc() counts CRLF and lone CR line endings as one line each", () => {
    const { positions } = parse('{\r\n"a": 1,\r"b": 2,\n\r\n"c": 3}');
    assert.deepEqual(positions.get("a"), { line: 2, column: 6 });
    assert.deepEqual(positions.get("b"), { line: 3, column: 6 });
    assert.deepEqual(positions.get("c"), { line: 5, column: 6 });
  });

  it('parseJsonc() keeps a "__proto__" key as an own property, as JSON.parse does', () => {
    const { value } = parse('{"__proto__": {"polluted": true}}');
    assert.ok(Object.hasOwn(value as object, "__proto__"));
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(value, JSON.parse('{"__proto__": {"polluted": true}}'));
  });

  it("parseJsonc() rejects an unquoted property name, naming it and its line and column", () => {
    const error = assertConfigError(() => parse('{\n  "a": 1,\n  port: 4000\n}'), {
      code: "CONFIG_ERR_JSON_SYNTAX",
      file: "t.json",
      path: "",
      found: '"port"',
      expected: "a property name in double quotes",
      line: 3,
      column: 3,
    });
    assert.match(error.message, /t\.json:3:3/);
  });

  it("parseJsonc() rejects a trailing comma in an object with a clear message", () => {
    assertConfigError(() => parse('{\n  "a": 1,\n}'), {
      code: "CONFIG_ERR_JSON_SYNTAX",
      found: '"}"',
      expected:
        'a property name in double quotes (JSON does not allow a trailing comma before "}")',
      line: 3,
      column: 1,
    });
  });

  it("parseJsonc() rejects a trailing comma in an array with a clear message", () => {
    assertConfigError(() => parse('{"a": [1, 2, ]}'), {
      code: "CONFIG_ERR_JSON_SYNTAX",
      found: '"]"',
      expected:
        "a value (object, array, string, number, true, false or null) (JSON does not allow " +
        'a trailing comma before "]")',
      line: 1,
      column: 14,
    });
  });

  it("parseJsonc() rejects a duplicate key, naming it, its path and the first occurrence", () => {
    assertConfigError(() => parse('{"http": {\n  "port": 1,\n  "host": "h",\n  "port": 2\n}}'), {
      code: "CONFIG_ERR_JSON_SYNTAX",
      path: "http.port",
      found: 'a second property "port"',
      expected: "each property once per object (the first is at line 2, column 3)",
      line: 4,
      column: 3,
    });
  });

  it("parseJsonc() rejects a missing comma between properties", () => {
    assertConfigError(() => parse('{"a": 1\n "b": 2}'), {
      found: 'the string "b"',
      expected: '"," or "}"',
      line: 2,
      column: 2,
    });
  });

  it("parseJsonc() rejects a line break inside a string", () => {
    assertConfigError(() => parse('{"a": "abc\ndef"}'), {
      found: "a line break inside a string",
      expected: 'a closing double quote (") before the end of the line',
      line: 1,
      column: 11,
    });
  });

  it("parseJsonc() rejects an unknown escape and an incomplete \\u escape", () => {
    assertConfigError(() => parse('["a\\x"]'), {
      found: '"\\x"',
      expected: 'one of the escapes \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
      column: 4,
    });
    assertConfigError(() => parse('["\\u12g4"]'), {
      found: '"\\u12g4"',
      expected: "\\u followed by four hex digits",
      column: 3,
    });
  });

  it("parseJsonc() rejects numbers JSON does not allow", () => {
    assertConfigError(() => parse("[01]"), {
      found: '"01"',
      expected: "a number without leading zeros",
      column: 2,
    });
    assertConfigError(() => parse("[1.]"), { found: '"]"', expected: 'a digit after "."' });
    assertConfigError(() => parse("[1e+]"), { expected: "a digit in the exponent", column: 5 });
    assertConfigError(() => parse("[.5]"), { found: '"."', column: 2 });
    assertConfigError(() => parse("[NaN]"), { found: '"NaN"', column: 2 });
  });

  it("parseJsonc() rejects single quotes, an empty file and text after the value", () => {
    assertConfigError(() => parse("{'a': 1}"), { found: `"'"`, line: 1, column: 2 });
    assertConfigError(() => parse("  // only a comment\n"), {
      found: "end of file",
      expected: "a value (object, array, string, number, true, false or null)",
      line: 2,
      column: 1,
    });
    assertConfigError(() => parse("{} {}"), {
      found: '"{"',
      expected: "the end of the file after the value",
      column: 4,
    });
  });

  it("parseJsonc() rejects an unclosed string and an unclosed block comment", () => {
    assertConfigError(() => parse('{"a": "abc'), {
      found: "end of file",
      expected: 'a closing double quote (")',
      column: 11,
    });
    assertConfigError(() => parse('{"a": 1 /* not closed'), {
      found: "an unclosed /* comment",
      expected: '"*/" to close the comment',
      column: 9,
    });
  });

  it("parseJsonc() rejects nesting deeper than MAX_DEPTH with a ConfigError, not a stack overflow", () => {
    assert.doesNotThrow(() => parse("[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH)));
    assertConfigError(() => parse("[".repeat(100_000)), {
      code: "CONFIG_ERR_JSON_SYNTAX",
      found: "deeper nesting",
      column: MAX_DEPTH + 1,
    });
  });

  it("parseJsonc() agrees with JSON.parse on every generated JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, indent) => {
        const text = JSON.stringify(value, null, indent ? 2 : undefined);
        assert.deepEqual(parseJsonc(text).value, JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it("parseJsonc() either returns or throws a ConfigError on any string, and agrees with JSON.parse when both succeed", () => {
    const jsonish = fc.string({
      unit: fc.constantFrom(..."{}[]:,\"\\/*-+.0123456789eEtrufalsn \n\r\tu'x"),
      maxLength: 40,
    });
    const mutated = fc.tuple(fc.jsonValue(), fc.nat(), fc.string({ maxLength: 3 })).map(
      ([value, at, insert]) => {
        const text = JSON.stringify(value);
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + 1);
      },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), jsonish, mutated), (text) => {
        let ours: { value: unknown } | undefined;
        try {
          ours = parseJsonc(text);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          assert.equal(error.code, "CONFIG_ERR_JSON_SYNTAX");
        }
        let theirs: { value: unknown } | undefined;
        try {
          theirs = { value: JSON.parse(text) };
        } catch {
          // JSON.parse rejects comments, which we accept.
        }
        if (ours && theirs) assert.deepEqual(ours.value, theirs.value);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("formatPath()", () => {
  it("formatPath() joins identifiers with dots, indices in brackets, other keys quoted", () => {
    assert.equal(formatPath([]), "");
    assert.equal(
      formatPath(["cluster", "channel", "receiver", "port"]),
      "cluster.channel.receiver.port",
    );
    assert.equal(
      formatPath(["cluster", "channel", "interceptors", 0]),
      "cluster.channel.interceptors[0]",
    );
    assert.equal(formatPath(["apps", 1, "my key", "x"]), 'apps[1]["my key"].x');
    assert.equal(formatPath([0, "a"]), "[0].a");
    assert.equal(formatPath(["0"]), '["0"]');
    assert.equal(formatPath(["$schema"]), "$schema");
    assert.equal(childPath("a", 'say "hi"'), 'a["say \\"hi\\""]');
  });
});
