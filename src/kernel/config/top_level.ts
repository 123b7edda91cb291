/**
 * The top-level sections that are not the cluster: `jvmRoute`, `http`, `admin` and `apps`.
 *
 * @module
 */
import { describeValue } from "../../errors.ts";
import { validateAttributes } from "./attributes.ts";
import { configError } from "./config_error.ts";
import type { Scope } from "./cluster.ts";
import { childPath } from "./json.ts";
import {
  ADMIN_SCHEMA,
  APP_PATH_PATTERN,
  APP_SCHEMA,
  COOKIE_NAME_PATTERN,
  HTTP_SCHEMA,
  JVM_ROUTE_PATTERN,
} from "./schema.ts";
import type { AppConfig, ListenerConfig } from "./types.ts";

/** @throws {CONFIG_ERR_RANGE} characters a cookie cannot carry, or more than 64 */
export function checkJvmRoute(jvmRoute: string | undefined, scope: Scope): string | undefined {
  if (jvmRoute === undefined || JVM_ROUTE_PATTERN.test(jvmRoute)) return jvmRoute;
  throw configError(
    "CONFIG_ERR_RANGE",
    scope,
    "jvmRoute",
    describeValue(jvmRoute),
    '1 to 64 letters, digits, "_" or "-" (the jvmRoute becomes part of the session cookie)',
  );
}

/** Reads `http` or `admin`; the admin listener's port is required, since it has no natural default. */
export function readListener(
  raw: Record<string, unknown>,
  path: "http" | "admin",
  scope: Scope,
): ListenerConfig {
  const attrs = validateAttributes(raw, path === "http" ? HTTP_SCHEMA : ADMIN_SCHEMA, {
    ...scope,
    path,
  });
  if (attrs.port === undefined) {
    const portPath = childPath(path, "port");
    throw configError("CONFIG_ERR_MISSING", scope, portPath, "no port", "a port", path);
  }
  return {
    host: attrs.host as string,
    port: attrs.port as number,
    ...(attrs.maxBodyBytes === undefined ? {} : { maxBodyBytes: attrs.maxBodyBytes as number }),
    ...(attrs.token === undefined || attrs.token === "" ? {} : { token: attrs.token as string }),
  };
}

/**
 * Reads `apps`.
 *
 * @throws {CONFIG_ERR_MISSING} an app with an empty module
 * @throws {CONFIG_ERR_RANGE} a path not starting with "/", used twice, or a bad cookie name
 */
export function readApps(raw: readonly unknown[], scope: Scope): AppConfig[] {
  const byPath = new Map<string, string>();
  return raw.map((value, i) => {
    const path = childPath("apps", i);
    const attrs = validateAttributes(value as Record<string, unknown>, APP_SCHEMA, {
      ...scope,
      path,
    });
    const app = attrs as unknown as AppConfig;
    const fail = (key: string, expected: string) =>
      configError(
        "CONFIG_ERR_RANGE",
        scope,
        childPath(path, key),
        describeValue(attrs[key]),
        expected,
      );
    // Library mode's apps are served by the user's framework and need no module; host mode
    // checks that every app it serves has one.
    if (app.module !== undefined && app.module.trim() === "") {
      throw configError(
        "CONFIG_ERR_MISSING",
        scope,
        childPath(path, "module"),
        app.module === undefined ? "no module" : describeValue(app.module),
        'the app\'s module, such as "./app.ts"',
        app.module === undefined ? path : childPath(path, "module"),
      );
    }
    if (!APP_PATH_PATTERN.test(app.path)) {
      throw fail("path", 'a URL path starting with "/", without spaces, ";" or ","');
    }
    const other = byPath.get(app.path);
    if (other !== undefined) throw fail("path", `a path no other app uses (${other} uses it)`);
    byPath.set(app.path, path);
    if (!COOKIE_NAME_PATTERN.test(app.cookieName)) {
      throw fail("cookieName", "a cookie name: letters, digits and !#$%&'*+-.^_`|~");
    }
    return app;
  });
}
