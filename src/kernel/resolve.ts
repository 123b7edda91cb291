/**
 * Resolving a slot's `className` to a plugin descriptor, three ways: a built-in short name,
 * Tomcat's fully qualified name, or a module specifier resolved against the config file's folder.
 *
 * @module
 */
import { createRequire } from "node:module";
import { isAbsolute, join, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import type { PluginDescriptor, PluginKind } from "../interfaces/plugin.ts";
import { ConfigError, type ErrorCode } from "../errors.ts";
import { isPluginDescriptor } from "./plugin.ts";
import { suggest } from "./suggest.ts";
import { simpleName, TOMCAT_CLASSES } from "./tomcat_names.ts";

/** Where a className was written: for error messages and relative module paths. */
export interface ResolveSite {
  /** The configuration file (or `"<code>"`). */
  file: string;
  /** Its folder: relative module specifiers resolve against it. */
  baseDir: string;
  /** JSON path of the slot, such as `cluster.channel.interceptors[1]`. */
  path: string;
  line?: number;
  column?: number;
  /** The plugins short names and Tomcat aliases name (the node layer's built-ins). */
  builtins: readonly PluginDescriptor[];
}

const SHORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const DOTTED_CLASS = /^[a-z][a-z0-9_]*(\.[A-Za-z_$][A-Za-z0-9_$]*)+$/;

/**
 * Finds the plugin a `className` names, checking it is of the slot's `kind`.
 *
 * @throws {ConfigError} CONFIG_ERR_CLASSNAME_UNKNOWN, CONFIG_ERR_CLASSNAME_UNSUPPORTED,
 * CONFIG_ERR_PLUGIN_IMPORT, CONFIG_ERR_PLUGIN_INVALID or CONFIG_ERR_PLUGIN_KIND
 */
export async function resolvePlugin<K extends PluginKind>(
  className: string,
  kind: K | readonly K[],
  site: ResolveSite,
): Promise<PluginDescriptor<K>> {
  const plugins = site.builtins;
  const builtin = plugins.find((p) =>
    p.shortNames.includes(className) || p.aliases.includes(className)
  );
  if (builtin) return checkKind(builtin, className, kind, site);

  if (SHORT_NAME.test(className) || DOTTED_CLASS.test(className)) {
    const supported = plugins.filter((p) => kinds(kind).includes(p.kind as K))
      .flatMap((p) => p.shortNames);
    const tomcatKind = TOMCAT_CLASSES[className] ??
      Object.entries(TOMCAT_CLASSES).find(([fqcn]) => simpleName(fqcn) === className)?.[1];
    const known = tomcatKind !== undefined;
    throw fail(known ? "CONFIG_ERR_CLASSNAME_UNSUPPORTED" : "CONFIG_ERR_CLASSNAME_UNKNOWN", site, {
      found: known
        ? `${JSON.stringify(className)}, a Tomcat class that Conclave does not implement`
        : `${JSON.stringify(className)}, which is no built-in name or Tomcat alias`,
      expected: supported.length > 0
        ? `${suggest(simpleName(className), supported)}, or a module path such as "./my-plugin.ts"`
        : `a module path such as "./my-plugin.ts" (Conclave has no built-in ${kind} plugin yet)`,
    });
  }
  return checkKind(await importPlugin(className, site), className, kind, site);
}

async function importPlugin(specifier: string, site: ResolveSite): Promise<PluginDescriptor> {
  const hash = specifier.lastIndexOf("#");
  const exportName = hash > 0 ? specifier.slice(hash + 1) : "default";
  const bare = hash > 0 ? specifier.slice(0, hash) : specifier;
  let module: Record<string, unknown>;
  try {
    module = await import(moduleUrl(bare, site.baseDir));
  } catch (cause) {
    throw fail("CONFIG_ERR_PLUGIN_IMPORT", site, {
      found: `${JSON.stringify(specifier)}, which cannot be imported (${errorText(cause)})`,
      expected:
        "a module path relative to the configuration file, a file: URL or an installed package",
      cause,
    });
  }
  // Unwrap up to two `default`s: CommonJS and transpiled ESM nest them.
  let candidate: unknown = module[exportName];
  for (let i = 0; i < 2 && !isPluginDescriptor(candidate) && isObject(candidate); i++) {
    candidate = (candidate as Record<string, unknown>).default;
  }
  if (!isPluginDescriptor(candidate)) {
    throw fail("CONFIG_ERR_PLUGIN_INVALID", site, {
      found: `${JSON.stringify(specifier)}, whose export "${exportName}" is not a Conclave plugin`,
      expected: "a module that default-exports definePlugin({ kind, name, create })",
    });
  }
  return candidate;
}

/** A module specifier as an import() target: paths against `baseDir`, packages from `baseDir`. */
export function moduleUrl(specifier: string, baseDir: string): string {
  if (/^(file|npm|jsr|data|https?):/.test(specifier)) return specifier;
  if (specifier.startsWith(".") || isAbsolute(specifier)) {
    return pathToFileURL(resolvePath(baseDir, specifier)).href;
  }
  try {
    return pathToFileURL(createRequire(join(baseDir, "cluster.json")).resolve(specifier)).href;
  } catch {
    return specifier; // ESM-only packages: let the runtime resolve them
  }
}

function kinds<K extends PluginKind>(kind: K | readonly K[]): readonly K[] {
  return typeof kind === "string" ? [kind as K] : kind as readonly K[];
}

function checkKind<K extends PluginKind>(
  plugin: PluginDescriptor,
  className: string,
  kind: K | readonly K[],
  site: ResolveSite,
): PluginDescriptor<K> {
  if (!kinds(kind).includes(plugin.kind as K)) {
    throw fail("CONFIG_ERR_PLUGIN_KIND", site, {
      found: `${JSON.stringify(className)}, a ${plugin.kind} plugin (${plugin.name})`,
      expected: `a ${kinds(kind).join(" or ")} plugin`,
    });
  }
  return plugin as PluginDescriptor<K>;
}

function fail(
  code: ErrorCode,
  site: ResolveSite,
  detail: { found: string; expected: string; cause?: unknown },
): ConfigError {
  return new ConfigError(code, {
    file: site.file,
    path: `${site.path}.className`,
    line: site.line,
    column: site.column,
    ...detail,
  });
}

function isObject(value: unknown): boolean {
  return (typeof value === "object" || typeof value === "function") && value !== null;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].slice(0, 200);
}
