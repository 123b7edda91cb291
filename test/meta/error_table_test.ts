import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ERROR_CODES } from "../../src/errors.ts";

const readme = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), "../../README.md"),
  "utf8",
);

/** The rows of the README's "Error codes" table: code, meaning, fix. */
function readmeRows(): string[][] {
  const section = readme.split(/^## /m).find((s) => s.startsWith("Error codes"));
  assert.ok(section, 'README.md has an "## Error codes" section');
  return section.split("\n")
    .filter((line) => /^\|\s*`[A-Z_]+`\s*\|/.test(line))
    .map((line) =>
      line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll("\\|", "|"))
    );
}

describe("the README's error-code table", () => {
  it("lists exactly the codes of the registry, in registry order", () => {
    assert.deepEqual(readmeRows().map((r) => r[0].replaceAll("`", "")), Object.keys(ERROR_CODES));
  });

  it("gives each code the registry's meaning and fix", () => {
    for (const [code, meaning, fix] of readmeRows()) {
      const info = ERROR_CODES[code.replaceAll("`", "") as keyof typeof ERROR_CODES];
      assert.deepEqual([meaning, fix], [info.meaning, info.fix], `row of ${code}`);
    }
  });
});
