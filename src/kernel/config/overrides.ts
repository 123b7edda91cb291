/**
 * Command-line overrides (`--jvm-route`, `--http-port`, `--receiver-port`, `--log-level`), written
 * into the config before it is checked, so one file can serve every node of a cluster.
 *
 * @module
 */
import { isPlainObject } from "./config_error.ts";
import { CHANNEL_CLASS_NAMES, CLUSTER_CLASS_NAMES } from "./schema.ts";
import { DEFAULT_CLASS_NAMES } from "./defaults.ts";
import type { ConfigOverrides, Position } from "./types.ts";

/**
 * Writes the overrides into `root` (a copy the loader owns) and returns the positions without the
 * overridden paths, so that an error about a flag's value does not point into the file.
 */
export function applyOverrides(
  root: Record<string, unknown>,
  overrides: ConfigOverrides,
  positions: ReadonlyMap<string, Position>,
  substituted: Set<string>,
): ReadonlyMap<string, Position> {
  const written: string[] = [];
  const set = (
    target: Record<string, unknown> | undefined,
    key: string,
    value: unknown,
    path: string,
  ) => {
    if (value === undefined || target === undefined) return;
    target[key] = value;
    written.push(path);
  };
  set(root, "jvmRoute", overrides.jvmRoute, "jvmRoute");
  set(root, "logLevel", overrides.logLevel, "logLevel");
  set(child(root, "http"), "port", overrides.httpPort, "http.port");
  if (overrides.receiverPort !== undefined) {
    const cluster = child(root, "cluster", CLUSTER_CLASS_NAMES[0]);
    const channel = cluster && child(cluster, "channel", CHANNEL_CLASS_NAMES[0]);
    const receiver = channel && child(channel, "receiver", DEFAULT_CLASS_NAMES.receiver);
    set(receiver, "port", overrides.receiverPort, "cluster.channel.receiver.port");
  }
  if (written.length === 0) return positions;
  const kept = new Map(positions);
  for (const path of written) {
    kept.delete(path);
    substituted.delete(path);
  }
  return kept;
}

// The object at `parent[key]`, created when absent. Something that is not an object is left for
// validation to report, with its position.
function child(
  parent: Record<string, unknown>,
  key: string,
  className?: string,
): Record<string, unknown> | undefined {
  const value = parent[key];
  if (value === undefined) {
    const created: Record<string, unknown> = className === undefined ? {} : { className };
    parent[key] = created;
    return created;
  }
  return isPlainObject(value) ? value : undefined;
}
