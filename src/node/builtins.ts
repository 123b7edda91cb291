/**
 * The built-in plugins, which the node layer hands to the kernel's resolver. Literal imports, so bundlers and `deno compile` see every module.
 *
 * Add a plugin here when you add a folder under `plugins/`; `test/meta/registry_test.ts` fails
 * when one is missing.
 *
 * @module
 */
import type { PluginDescriptor } from "../interfaces/plugin.ts";

type Loader = () => Promise<{ default: PluginDescriptor }>;

let loaded: Promise<readonly PluginDescriptor[]> | undefined;

/** Every built-in descriptor (loaded once). */
export function builtinPlugins(): Promise<readonly PluginDescriptor[]> {
  loaded ??= Promise.all(
    Object.values(BUILTIN_PLUGINS).map(async (load) => (await load()).default),
  );
  return loaded;
}

/** Plugin folder (under `plugins/`) to its loader. */
export const BUILTIN_PLUGINS: Readonly<Record<string, Loader>> = {
  "clusterListener/cluster-session": () =>
    import("../../plugins/clusterListener/cluster-session/mod.ts"),
  "interceptor/domain-filter": () => import("../../plugins/interceptor/domain-filter/mod.ts"),
  "interceptor/message-dispatch": () => import("../../plugins/interceptor/message-dispatch/mod.ts"),
  "interceptor/tcp-failure-detector": () =>
    import("../../plugins/interceptor/tcp-failure-detector/mod.ts"),
  "manager/backup": () => import("../../plugins/manager/backup/mod.ts"),
  "manager/delta": () => import("../../plugins/manager/delta/mod.ts"),
  "membership/dns": () => import("../../plugins/membership/dns/mod.ts"),
  "membership/memory": () => import("../../plugins/membership/memory/mod.ts"),
  "membership/multicast": () => import("../../plugins/membership/multicast/mod.ts"),
  "membership/static": () => import("../../plugins/membership/static/mod.ts"),
  "receiver/memory": () => import("../../plugins/receiver/memory/mod.ts"),
  "receiver/nio": () => import("../../plugins/receiver/nio/mod.ts"),
  "sender/memory": () => import("../../plugins/sender/memory/mod.ts"),
  "sender/replication-transmitter": () =>
    import("../../plugins/sender/replication-transmitter/mod.ts"),
  "valve/jvm-route-binder": () => import("../../plugins/valve/jvm-route-binder/mod.ts"),
  "valve/replication": () => import("../../plugins/valve/replication/mod.ts"),
  "transport/pooled-parallel": () => import("../../plugins/transport/pooled-parallel/mod.ts"),
};
