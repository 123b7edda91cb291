/**
 * A strict JSON parser that also accepts `//` and `/* *\/` comments (JSONC) and records the line and
 * column of every value by JSON path.
 *
 * Not `JSON.parse`: its error messages differ between V8 and JavaScriptCore, it silently keeps the
 * last of two duplicate keys, and it cannot say where a value sits.
 *
 * @module
 */
import { ConfigError } from "../../errors.ts";
import { setOwn } from "./config_error.ts";
import type { Position } from "./types.ts";

/** The parsed value and where each of its values starts. */
export interface ParsedJson {
  value: unknown;
  positions: Map<string, Position>;
}

/** Deeper nesting is rejected, so that no runtime's stack size decides whether a file loads. */
export const MAX_DEPTH = 256;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const WORD = /[A-Za-z0-9_$]/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
const VALUE = "a value (object, array, string, number, true, false or null)";
const PROPERTY = "a property name in double quotes";

/** Appends one segment to a JSON path: `a.b`, `a[0]`, `a["my key"]`. */
export function childPath(parent: string, segment: string | number): string {
  if (typeof segment === "number") return `${parent}[${segment}]`;
  if (IDENTIFIER.test(segment)) return parent === "" ? segment : `${parent}.${segment}`;
  return `${parent}[${JSON.stringify(segment)}]`;
}

/** Renders path segments as a JSON path; `[]` is the root, `""`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let path = "";
  for (const segment of segments) path = childPath(path, segment);
  return path;
}

/**
 * Parses JSON with comments.
 *
 * @param file named in errors
 * @throws {CONFIG_ERR_JSON_SYNTAX} with the line and column of the first error
 */
export function parseJsonc(text: string, file = "<code>"): ParsedJson {
  const parser = new Parser(text, file);
  return { value: parser.parse(), positions: parser.positions };
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

class Parser {
  readonly positions = new Map<string, Position>();
  readonly #text: string;
  readonly #file: string;
  #pos = 0;
  #line = 1;
  #lineStart = 0;

  constructor(text: string, file: string) {
    this.#text = text;
    this.#file = file;
  }

  parse(): unknown {
    this.#skip();
    const value = this.#value("", 0);
    this.#skip();
    if (this.#pos < this.#text.length) this.#fail("the end of the file after the value");
    return value;
  }

  #value(path: string, depth: number): unknown {
    this.positions.set(path, this.#here());
    const ch = this.#text[this.#pos];
    if (ch === "{") return this.#object(path, depth + 1);
    if (ch === "[") return this.#array(path, depth + 1);
    if (ch === '"') return this.#string();
    if (ch === "-" || isDigit(ch)) return this.#number();
    const word = this.#word();
    if (word === "true" || word === "false" || word === "null") {
      this.#pos += word.length;
      return word === "null" ? null : word === "true";
    }
    return this.#fail(VALUE);
  }

  #object(path: string, depth: number): Record<string, unknown> {
    this.#checkDepth(depth);
    const result: Record<string, unknown> = {};
    const seen = new Map<string, Position>();
    this.#pos++;
    this.#skip();
    if (this.#text[this.#pos] === "}") {
      this.#pos++;
      return result;
    }
    for (;;) {
      if (this.#text[this.#pos] !== '"') this.#fail(PROPERTY);
      const at = this.#here();
      const key = this.#string();
      const keyPath = childPath(path, key);
      const first = seen.get(key);
      if (first !== undefined) this.#duplicate(key, keyPath, first, at);
      seen.set(key, at);
      this.#skip();
      if (this.#text[this.#pos] !== ":") this.#fail(`":" after the property name`);
      this.#pos++;
      this.#skip();
      setOwn(result, key, this.#value(keyPath, depth));
      this.#skip();
      const next = this.#text[this.#pos];
      this.#pos++;
      if (next === "}") return result;
      if (next !== ",") {
        this.#pos--;
        this.#fail(`"," or "}"`);
      }
      this.#skip();
      if (this.#text[this.#pos] === "}") {
        this.#fail(`${PROPERTY} (JSON does not allow a trailing comma before "}")`);
      }
    }
  }

  #array(path: string, depth: number): unknown[] {
    this.#checkDepth(depth);
    const result: unknown[] = [];
    this.#pos++;
    this.#skip();
    if (this.#text[this.#pos] === "]") {
      this.#pos++;
      return result;
    }
    for (;;) {
      result.push(this.#value(childPath(path, result.length), depth));
      this.#skip();
      const next = this.#text[this.#pos];
      this.#pos++;
      if (next === "]") return result;
      if (next !== ",") {
        this.#pos--;
        this.#fail(`"," or "]"`);
      }
      this.#skip();
      if (this.#text[this.#pos] === "]") {
        this.#fail(`${VALUE} (JSON does not allow a trailing comma before "]")`);
      }
    }
  }

  #string(): string {
    const text = this.#text;
    let out = "";
    let i = this.#pos + 1;
    let chunk = i;
    for (;;) {
      if (i >= text.length) {
        this.#pos = i;
        this.#fail('a closing double quote (")');
      }
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        this.#pos = i + 1;
        return out + text.slice(chunk, i);
      }
      if (code < 0x20) {
        this.#pos = i;
        const lineBreak = code === 0x0a || code === 0x0d;
        this.#fail(
          lineBreak
            ? 'a closing double quote (") before the end of the line'
            : "an escaped character",
          lineBreak
            ? "a line break inside a string"
            : `the control character ${JSON.stringify(text[i])}`,
        );
      }
      if (code !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(chunk, i);
      const escape = text[i + 1];
      if (escape === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!HEX4.test(hex)) {
          this.#pos = i;
          this.#fail("\\u followed by four hex digits", `"\\u${hex}"`);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (escape !== undefined && Object.hasOwn(ESCAPES, escape)) {
        out += ESCAPES[escape];
        i += 2;
      } else {
        this.#pos = i;
        this.#fail(
          'one of the escapes \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
          escape === undefined ? "end of file" : `"\\${escape}"`,
        );
      }
      chunk = i;
    }
  }

  #number(): number {
    const text = this.#text;
    const start = this.#pos;
    let i = start;
    if (text[i] === "-") i++;
    if (text[i] === "0" && isDigit(text[i + 1])) {
      let end = i;
      while (isDigit(text[end])) end++;
      this.#fail("a number without leading zeros", JSON.stringify(text.slice(start, end)));
    }
    i = this.#digits(i, "a digit");
    if (text[i] === ".") i = this.#digits(i + 1, 'a digit after "."');
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      i = this.#digits(i, "a digit in the exponent");
    }
    this.#pos = i;
    return Number(text.slice(start, i));
  }

  #digits(from: number, expected: string): number {
    let i = from;
    while (isDigit(this.#text[i])) i++;
    if (i === from) {
      this.#pos = i;
      this.#fail(expected);
    }
    return i;
  }

  // Whitespace and comments; tracks lines, which only ever end here.
  #skip(): void {
    const text = this.#text;
    for (;;) {
      const code = text.charCodeAt(this.#pos);
      if (code === 0x20 || code === 0x09) {
        this.#pos++;
      } else if (code === 0x0a || code === 0x0d) {
        this.#pos += code === 0x0d && text.charCodeAt(this.#pos + 1) === 0x0a ? 2 : 1;
        this.#line++;
        this.#lineStart = this.#pos;
      } else if (code === 0x2f && text[this.#pos + 1] === "/") {
        while (this.#pos < text.length && !"\r\n".includes(text[this.#pos])) this.#pos++;
      } else if (code === 0x2f && text[this.#pos + 1] === "*") {
        this.#blockComment();
      } else {
        return;
      }
    }
  }

  #blockComment(): void {
    const text = this.#text;
    const end = text.indexOf("*/", this.#pos + 2);
    if (end < 0) this.#fail('"*/" to close the comment', "an unclosed /* comment");
    for (let i = this.#pos; i < end; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x0a || (code === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
        this.#line++;
        this.#lineStart = i + 1;
      }
    }
    this.#pos = end + 2;
  }

  #checkDepth(depth: number): void {
    if (depth > MAX_DEPTH) {
      this.#fail(`at most ${MAX_DEPTH} levels of nested objects and arrays`, "deeper nesting");
    }
  }

  #word(): string {
    let end = this.#pos;
    while (end < this.#text.length && WORD.test(this.#text[end])) end++;
    return this.#text.slice(this.#pos, end);
  }

  #here(): Position {
    return { line: this.#line, column: this.#pos - this.#lineStart + 1 };
  }

  // What sits at the current position, for "found": a whole word, else one character.
  #found(): string {
    if (this.#pos >= this.#text.length) return "end of file";
    const word = this.#word();
    if (word !== "") return JSON.stringify(word.length > 40 ? `${word.slice(0, 37)}...` : word);
    if (this.#text[this.#pos] === '"') {
      const end = this.#text.indexOf('"', this.#pos + 1);
      const string = end < 0 ? "" : this.#text.slice(this.#pos, end + 1);
      if (string !== "" && string.length <= 42 && !/[\r\n]/.test(string)) {
        return `the string ${string}`;
      }
      return "a string";
    }
    return JSON.stringify(String.fromCodePoint(this.#text.codePointAt(this.#pos)!));
  }

  #duplicate(key: string, path: string, first: Position, at: Position): never {
    throw new ConfigError("CONFIG_ERR_JSON_SYNTAX", {
      file: this.#file,
      path,
      found: `a second property ${JSON.stringify(key)}`,
      expected:
        `each property once per object (the first is at line ${first.line}, column ${first.column})`,
      line: at.line,
      column: at.column,
    });
  }

  #fail(expected: string, found = this.#found()): never {
    const { line, column } = this.#here();
    throw new ConfigError("CONFIG_ERR_JSON_SYNTAX", {
      file: this.#file,
      path: "",
      found,
      expected,
      line,
      column,
    });
  }
}
