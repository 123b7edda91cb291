/**
 * What `conclave check` and `conclave start` verify on the configuration alone, before a node
 * joins the cluster: every `className` resolves (used or not), app modules import and export a
 * handler, and the ports the node will bind are free. `createNode` covers the slots it uses and
 * the TLS files they name.
 *
 * @module
 */
import net from "node:net";
import { ConclaveError, ConfigError } from "../errors.ts";
import type { PluginKind } from "../interfaces/plugin.ts";
import { validateAttributes } from "../kernel/config/attributes.ts";
import type { ConfigWarning, LoadedConfig, Slot } from "../kernel/config/types.ts";
import { resolvePlugin } from "../kernel/resolve.ts";
import { builtinPlugins } from "../node/builtins.ts";

/**
 * Resolves the slots a node without distributable apps never builds (manager, valves, cluster
 * listeners), imports every app module, and checks that the HTTP and receiver ports are free.
 * Returns the warnings about those slots' attributes.
 *
 * @throws {ConfigError} a bad slot, or APP_ERR_LOAD at `apps[i].module` (exit status 2)
 * @throws {ConclaveError} NODE_ERR_START for a port in use (exit status 1)
 */
export async function checkBeforeStart(
  config: LoadedConfig,
  options: { host: boolean },
): Promise<ConfigWarning[]> {
  const warnings: ConfigWarning[] = [];
  if (!config.apps.some((app) => app.distributable)) {
    const { cluster } = config;
    await checkSlot(config, cluster.manager, "manager", warnings);
    for (const slot of cluster.valves) await checkSlot(config, slot, "valve", warnings);
    for (const slot of cluster.clusterListeners) {
      await checkSlot(config, slot, "clusterListener", warnings);
    }
  }
  if (options.host) await checkApps(config);
  await checkPorts(config, options);
  return warnings;
}

async function checkSlot(
  config: LoadedConfig,
  slot: Slot,
  kind: PluginKind,
  warnings: ConfigWarning[],
): Promise<Record<string, unknown>> {
  const plugin = await resolvePlugin(slot.className, kind, {
    file: config.file,
    baseDir: config.baseDir,
    path: slot.path,
    builtins: await builtinPlugins(),
    ...config.context.positions.get(slot.path),
  });
  return validateAttributes(slot.raw, plugin.attributes, {
    ...config.context,
    path: slot.path,
    warn: (warning) => warnings.push(warning),
  });
}

async function checkApps(config: LoadedConfig): Promise<void> {
  const { loadApp } = await import("../http/host.ts");
  for (const [i, app] of config.apps.entries()) {
    if (app.module === undefined) continue;
    try {
      await loadApp(app, config.baseDir);
    } catch (cause) {
      const path = `apps[${i}].module`;
      // The import's own error when there is one: loadApp's wrapper adds nothing here.
      const inner = cause instanceof ConclaveError && cause.cause instanceof Error
        ? cause.cause
        : cause;
      let detail = inner instanceof Error ? inner.message : String(inner);
      if (/Unknown file extension "\.[cm]?tsx?"/.test(detail)) {
        detail +=
          "; Node before 22.18 runs TypeScript apps with tsx installed (npm install -D tsx)";
      }
      throw new ConfigError("APP_ERR_LOAD", {
        file: config.file,
        path,
        ...config.context.positions.get(path),
        found: `${JSON.stringify(app.module)}, which ${
          /exports no fetch handler/.test(detail) ? "exports no handler" : "cannot be imported"
        } (${detail.split("\n")[0]})`,
        expected: "a module whose default export is a function or an object with fetch()",
        cause: inner,
      });
    }
  }
}

async function checkPorts(config: LoadedConfig, options: { host: boolean }): Promise<void> {
  if (options.host && config.apps.length > 0 && config.http.port !== 0) {
    const { host, port } = config.http;
    const error = await bindError(host, port);
    if (error) {
      throw new ConclaveError(
        "NODE_ERR_START",
        `Cannot serve HTTP on ${host}:${port} (http.port in ${config.file}): ${error.message}`,
        { cause: error },
      );
    }
  }
  const slot = config.cluster.channel.receiver;
  const plugin = await resolvePlugin(slot.className, "receiver", {
    file: config.file,
    baseDir: config.baseDir,
    path: slot.path,
    builtins: await builtinPlugins(),
  });
  if (plugin.name !== "receiver/nio") return;
  const init = validateAttributes(slot.raw, plugin.attributes, {
    ...config.context,
    path: slot.path,
    warn: () => {}, // createNode warns about this slot
  });
  const port = init.port as number;
  if (port === 0) return;
  const address = String(init.address);
  const host = address === "auto" || address === "*" ? "0.0.0.0" : address;
  const last = port + Math.max(1, init.autoBind as number) - 1;
  let error: Error | undefined;
  for (let p = port; p <= Math.min(last, 65535); p++) {
    error = await bindError(host, p);
    if (!error) return;
  }
  const ports = last > port ? `any port from ${port} to ${last}` : `port ${port}`;
  throw new ConclaveError(
    "NODE_ERR_START",
    `Cannot bind the receiver to ${host}, ${ports} (${slot.path} in ${config.file}): ${error?.message}`,
    { cause: error },
  );
}

/** Why `host:port` cannot be listened on now, or undefined when it can. */
function bindError(host: string, port: number): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (error) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
