/**
 * Loading `cluster.json`: read, parse, substitute `${...}`, apply command-line overrides, check the
 * kernel's own sections, fill Tomcat's default slots.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError, describeValue } from "../../errors.ts";
import { validateAttributes } from "./attributes.ts";
import { readCluster } from "./cluster.ts";
import { configError, isPlainObject } from "./config_error.ts";
import { substituteEnv } from "./env.ts";
import { parseJsonc } from "./json.ts";
import { applyOverrides } from "./overrides.ts";
import { TOP_LEVEL_SCHEMA } from "./schema.ts";
import { checkJvmRoute, readApps, readListener } from "./top_level.ts";
import type { ConfigWarning, LoadedConfig, LoadOptions, LogLevel, PositionMap } from "./types.ts";

// Plain words for the errors users meet most, since the OS messages differ between runtimes.
const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "a directory",
  ENOTDIR: "a path through something that is not a directory",
};

/**
 * Loads and checks a configuration file. Plugin slots are returned unchecked: the plugin resolver
 * checks each with its plugin's schema, using `context`.
 *
 * @example Load the file named on the command line
 * ```ts
 * const config = await loadConfigFile("cluster.json", { env: process.env });
 * for (const warning of config.warnings) console.warn(warning.message);
 * ```
 * @throws {CONFIG_ERR_FILE_READ} the file cannot be read (the OS error is the `cause`)
 * @throws {ConfigError} any other `CONFIG_ERR_*`, naming the path, what was found and what was expected
 */
export async function loadConfigFile(
  file: string,
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    const found = typeof code === "string"
      ? `${code}${READ_ERRORS[code] ? ` (${READ_ERRORS[code]})` : ""}`
      : String(cause);
    throw new ConfigError("CONFIG_ERR_FILE_READ", {
      file,
      path: "",
      found,
      expected: "a readable configuration file",
      cause,
    });
  }
  // Editors on Windows may save a byte order mark; it is not part of the JSON.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const { value, positions } = parseJsonc(text, file);
  return build(value, file, dirname(resolve(file)), positions, options);
}

/**
 * Checks a configuration built in code, as `loadConfigFile` does for a file. Errors name the file
 * `"<code>"`; relative specifiers resolve against `options.baseDir` (default: the working folder).
 * The input is not modified.
 */
export function loadConfig(value: unknown, options: LoadOptions = {}): LoadedConfig {
  return build(value, "<code>", resolve(options.baseDir ?? "."), new Map(), options);
}

function build(
  input: unknown,
  file: string,
  baseDir: string,
  parsedPositions: PositionMap,
  options: LoadOptions,
): LoadedConfig {
  if (!isPlainObject(input)) {
    throw configError(
      "CONFIG_ERR_TYPE",
      { file, positions: parsedPositions },
      "",
      describeValue(input),
      "an object at the top level",
    );
  }
  const env = options.env ?? globalThis.process?.env ?? {};
  const substitution = substituteEnv(input, { file, positions: parsedPositions, env });
  const root = substitution.value as Record<string, unknown>;
  const { substituted } = substitution;
  const positions = applyOverrides(root, options.overrides ?? {}, parsedPositions, substituted);

  const warnings: ConfigWarning[] = [];
  const base = { file, positions, substituted, warn: (w: ConfigWarning) => warnings.push(w) };
  // `strict` decides how the rest is checked, so it is read first.
  const { strict } = validateAttributes(
    { strict: root.strict },
    { strict: TOP_LEVEL_SCHEMA.strict },
    { ...base, strict: false, path: "" },
  ) as { strict: boolean };
  const scope = { ...base, strict };
  const top = validateAttributes(root, TOP_LEVEL_SCHEMA, { ...scope, path: "" });

  const jvmRoute = checkJvmRoute(top.jvmRoute as string | undefined, scope);
  const http = readListener(top.http as Record<string, unknown>, "http", scope);
  const admin = top.admin === undefined
    ? undefined
    : readListener(top.admin as Record<string, unknown>, "admin", scope);
  const apps = readApps(top.apps as unknown[], scope);
  const cluster = readCluster(top.cluster as Record<string, unknown> | undefined, scope);
  return {
    file,
    baseDir,
    ...(jvmRoute === undefined ? {} : { jvmRoute }),
    http,
    ...(admin === undefined ? {} : { admin }),
    apps,
    strict,
    shutdownTimeout: top.shutdownTimeout as number,
    logLevel: top.logLevel as LogLevel,
    cluster,
    warnings,
    context: { file, positions, substituted, strict },
  };
}
