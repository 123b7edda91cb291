/**
 * Making and recognising plugin descriptors.
 *
 * @module
 */
import { PLUGIN } from "../interfaces/plugin.ts";
import type { AttributeSchema } from "../interfaces/attributes.ts";
import type { PluginDefinition, PluginDescriptor, PluginKind } from "../interfaces/plugin.ts";

/**
 * Declares a plugin. The module that holds it default-exports the result. `create` receives the
 * attributes typed from the schema (a default makes one always present) and the components of
 * its kind (a manager's channel, a sender's transport).
 *
 * @example Declaring an interceptor
 * ```ts
 * export default definePlugin({
 *   kind: "interceptor",
 *   name: "interceptor/audit",
 *   attributes: { prefix: { type: "string", default: "audit" } },
 *   create: (init, { logger }) => new AuditInterceptor(init.prefix, logger),
 * });
 * ```
 */
export function definePlugin<
  K extends PluginKind,
  const S extends AttributeSchema = Record<never, never>,
>(definition: PluginDefinition<K, S>): PluginDescriptor<K, S> {
  return Object.freeze({
    [PLUGIN]: true as const,
    kind: definition.kind,
    name: definition.name,
    shortNames: definition.shortNames ?? [],
    aliases: definition.aliases ?? [],
    // No schema: the `Record<never, never>` default of S.
    attributes: definition.attributes ?? ({} as S),
    create: definition.create,
  });
}

/** True for a plugin descriptor made by `definePlugin` (from any copy of Conclave). */
export function isPluginDescriptor(value: unknown): value is PluginDescriptor {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[PLUGIN] === true &&
    typeof (value as { create?: unknown }).create === "function";
}
