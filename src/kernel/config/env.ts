/**
 * `${NAME}` and `${NAME:-default}` in string values, read from the environment (Tomcat's `${...}`
 * property replacement, with the shell's syntax for defaults).
 *
 * Only values are substituted, never keys: a key decides what a value means, and letting the
 * environment rename attributes would make a file impossible to check by reading it.
 *
 * @module
 */
import { configError, type ErrorSource, isPlainObject, setOwn } from "./config_error.ts";
import { childPath } from "./json.ts";

/** The environment: usually `process.env`. */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

export interface SubstituteOptions extends ErrorSource {
  readonly env: EnvRecord;
}

export interface Substituted {
  /** A copy of the input with every reference replaced. */
  value: unknown;
  /** JSON paths of the strings that held at least one `${...}` reference. */
  substituted: Set<string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SYNTAX = '${NAME} or ${NAME:-default}, NAME made of letters, digits and "_" (not first)';

/**
 * Replaces every `${NAME}` and `${NAME:-default}` in the string values of `value`. The default is
 * used when NAME is unset or empty, as in the shell; `$${` stands for a literal `${`.
 *
 * @throws {CONFIG_ERR_ENV_UNSET} NAME is unset and there is no default
 * @throws {CONFIG_ERR_ENV_SYNTAX} a malformed reference
 */
export function substituteEnv(value: unknown, options: SubstituteOptions): Substituted {
  const substituted = new Set<string>();
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === "string") {
      const result = expand(node, path, options);
      if (result.substituted) substituted.add(path);
      return result.text;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, childPath(path, i)));
    if (!isPlainObject(node)) return node;
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(node)) {
      setOwn(copy, key, walk(item, childPath(path, key)));
    }
    return copy;
  };
  return { value: walk(value, ""), substituted };
}

function expand(
  text: string,
  path: string,
  options: SubstituteOptions,
): { text: string; substituted: boolean } {
  let out = "";
  let from = 0;
  let substituted = false;
  for (let at = text.indexOf("$"); at >= 0; at = text.indexOf("$", from)) {
    if (text.startsWith("$${", at)) {
      out += `${text.slice(from, at)}\${`;
      from = at + 3;
      continue;
    }
    if (text[at + 1] !== "{") {
      out += text.slice(from, at + 1);
      from = at + 1;
      continue;
    }
    const close = text.indexOf("}", at + 2);
    if (close < 0) {
      const found = `${JSON.stringify(text.slice(at))} (no closing "}")`;
      throw configError("CONFIG_ERR_ENV_SYNTAX", options, path, found, SYNTAX);
    }
    out += text.slice(from, at) + lookup(text.slice(at + 2, close), path, options);
    from = close + 1;
    substituted = true;
  }
  return { text: out + text.slice(from), substituted };
}

// `body` is what sits between "${" and "}".
function lookup(body: string, path: string, options: SubstituteOptions): string {
  const dash = body.indexOf(":-");
  const name = dash < 0 ? body : body.slice(0, dash);
  if (!NAME.test(name)) {
    throw configError(
      "CONFIG_ERR_ENV_SYNTAX",
      options,
      path,
      JSON.stringify(`\${${body}}`),
      SYNTAX,
    );
  }
  const value = options.env[name];
  const set = typeof value === "string";
  if (dash >= 0) return set && value !== "" ? value : body.slice(dash + 2);
  if (set) return value;
  throw configError(
    "CONFIG_ERR_ENV_UNSET",
    options,
    path,
    `\${${name}} with ${name} unset`,
    `the environment variable ${name} to be set, or a default as in \${${name}:-value}`,
  );
}
