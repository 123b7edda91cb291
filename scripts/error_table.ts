/**
 * Prints the README's "Error codes" table from the registry in `src/kernel/errors.ts`.
 * Run `node --import tsx scripts/error_table.ts`, paste, then `deno fmt README.md`.
 *
 * @module
 */
import { ERROR_CODES } from "../src/errors.ts";

const cell = (text: string) => text.replaceAll("|", "\\|");
console.log("| Code | Meaning | Fix |");
console.log("| --- | --- | --- |");
for (const [code, info] of Object.entries(ERROR_CODES)) {
  console.log(`| \`${code}\` | ${cell(info.meaning)} | ${cell(info.fix)} |`);
}
