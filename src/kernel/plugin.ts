/**
 * Making and recognising plugin descriptors.
 *
 * @module
 */
import { PLUGIN } from "../interfaces/plugin.ts";
import type { PluginDefinition, PluginDescriptor, PluginKind } from "../interfaces/plugin.ts";

/**
 * Declares a plugin. The module that holds it default-exports the result.
 *
 * @example Declaring an interceptor
 * ```ts
 * export default definePlugin({
 *   kind: "interceptor",
 *   name: "interceptor/audit",
 *   attributes: { prefix: { type: "string", default: "audit" } },
 *   create: (init, { logger }) => new AuditInterceptor(init.prefix as string, logger),
 * });
 * ```
 */
export function definePlugin<K extends PluginKind>(
  definition: PluginDefinition<K>,
): PluginDescriptor<K> {
  return Object.freeze({
    [PLUGIN]: true as const,
    kind: definition.kind,
    name: definition.name,
    shortNames: definition.shortNames ?? [],
    aliases: definition.aliases ?? [],
    attributes: definition.attributes ?? {},
    create: definition.create,
  });
}

/** True for a plugin descriptor made by `definePlugin` (from any copy of Conclave). */
export function isPluginDescriptor(value: unknown): value is PluginDescriptor {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[PLUGIN] === true &&
    typeof (value as { create?: unknown }).create === "function";
}
