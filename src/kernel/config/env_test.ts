import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertConfigError } from "./_testing.ts";
import { substituteEnv } from "./env.ts";
import { parseJsonc } from "./json.ts";

function substitute(text: string, env: Record<string, string | undefined>) {
  const { value, positions } = parseJsonc(text, "env.json");
  return substituteEnv(value, { file: "env.json", positions, env });
}

describe("substituteEnv()", () => {
  it("substituteEnv() replaces ${NAME} and ${NAME:-default} in string values", () => {
    const { value } = substitute(
      '{"a": "${HOST}:${PORT:-4000}", "b": ["x${HOST}y"], "c": "${UNSET:-fallback}"}',
      { HOST: "192.0.2.1", PORT: "4001" },
    );
    assert.deepEqual(value, { a: "192.0.2.1:4001", b: ["x192.0.2.1y"], c: "fallback" });
  });

  it("substituteEnv() uses the default when the variable is unset or empty, and allows an empty default", () => {
    const { value } = substitute('{"a": "${EMPTY:-d}", "b": "${EMPTY}", "c": "[${NONE:-}]"}', {
      EMPTY: "",
    });
    assert.deepEqual(value, { a: "d", b: "", c: "[]" });
  });

  it("substituteEnv() keeps anything but } in a default, and treats $${ as a literal ${", () => {
    const { value, substituted } = substitute(
      '{"a": "${X:-a:b-c ${ $ ok}", "b": "$${NOT_A_VAR}", "c": "cost: $5, $$"}',
      {},
    );
    assert.deepEqual(value, { a: "a:b-c ${ $ ok", b: "${NOT_A_VAR}", c: "cost: $5, $$" });
    assert.deepEqual([...substituted], ["a"]);
  });

  it("substituteEnv() never substitutes keys", () => {
    const { value } = substitute('{"${KEY}": "${KEY}"}', { KEY: "v" });
    assert.deepEqual(value, { "${KEY}": "v" });
  });

  it("substituteEnv() returns the JSON paths of the values that came from a substitution", () => {
    const { substituted } = substitute(
      '{"http": {"port": "${P:-1}", "host": "h"}, "list": [1, "${P:-2}"], "my key": "${P:-3}"}',
      {},
    );
    assert.deepEqual([...substituted].sort(), ['["my key"]', "http.port", "list[1]"]);
  });

  it("substituteEnv() copies its input instead of changing it", () => {
    const input = { a: { b: "${V}" }, list: ["${V}"] };
    const { value } = substituteEnv(input, {
      file: "<code>",
      positions: new Map(),
      env: { V: "x" },
    });
    assert.deepEqual(input, { a: { b: "${V}" }, list: ["${V}"] });
    assert.deepEqual(value, { a: { b: "x" }, list: ["x"] });
  });

  it("substituteEnv() reports an unset variable without default with CONFIG_ERR_ENV_UNSET, its name and path", () => {
    const error = assertConfigError(
      () => substitute('{\n  "cluster": {\n    "secret": "${CONCLAVE_SECRET}"\n  }\n}', {}),
      {
        code: "CONFIG_ERR_ENV_UNSET",
        file: "env.json",
        path: "cluster.secret",
        found: "${CONCLAVE_SECRET} with CONCLAVE_SECRET unset",
        expected:
          "the environment variable CONCLAVE_SECRET to be set, or a default as in ${CONCLAVE_SECRET:-value}",
        line: 3,
        column: 15,
      },
    );
    assert.match(error.message, /env\.json:3:15 at cluster\.secret/);
  });

  it("substituteEnv() reports a ${ without its closing } with CONFIG_ERR_ENV_SYNTAX", () => {
    assertConfigError(() => substitute('{"a": "x ${PORT"}', {}), {
      code: "CONFIG_ERR_ENV_SYNTAX",
      path: "a",
      found: '"${PORT" (no closing "}")',
      expected: '${NAME} or ${NAME:-default}, NAME made of letters, digits and "_" (not first)',
      line: 1,
      column: 7,
    });
  });

  it("substituteEnv() reports a malformed name or default marker with CONFIG_ERR_ENV_SYNTAX", () => {
    for (
      const [text, found] of [
        ["${1PORT}", '"${1PORT}"'],
        ["${}", '"${}"'],
        ["${PORT:4000}", '"${PORT:4000}"'],
        ["${PORT-4000}", '"${PORT-4000}"'],
        ["${ PORT }", '"${ PORT }"'],
      ]
    ) {
      assertConfigError(() => substitute(`{"list": ["${text}"]}`, { PORT: "1" }), {
        code: "CONFIG_ERR_ENV_SYNTAX",
        path: "list[0]",
        found,
      });
    }
  });
});
