/**
 * A cluster.json for node processes on 127.0.0.1 with static membership over the given receiver
 * ports, a fresh secret and quick timing (a member seen within a second, dropped in two).
 *
 * @module
 */
import { clusterConfig, randomSecret, writeJson } from "../netns/netns.ts";

/** Writes `cluster.json` in `dir`: `top` merged at the top level, `cluster` into `cluster`. */
export async function loopbackClusterFile(
  dir: string,
  receivers: readonly number[],
  { top = {}, cluster = {} }: { top?: Record<string, unknown>; cluster?: Record<string, unknown> } =
    {},
): Promise<string> {
  const membership = {
    className: "StaticMembershipService",
    members: receivers.map((port) => ({ host: "127.0.0.1", port })),
    frequency: 250,
    dropTime: 2000,
    secret: randomSecret(),
  };
  const base = clusterConfig(membership, "127.0.0.1") as { cluster: Record<string, unknown> };
  return await writeJson(dir, "cluster.json", {
    ...top,
    cluster: { ...base.cluster, ...cluster },
  });
}
