// The type-level half of this file (typed `init`, per-kind components) is checked by tsc: each
// `@ts-expect-error` line fails the type check if the error it expects goes away.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InitOf } from "../interfaces/attributes.ts";
import type { ManagerChannel } from "../interfaces/manager.ts";
import type { Components, ComponentsOf, PluginDescriptor } from "../interfaces/plugin.ts";
import type { Transport } from "../interfaces/transport.ts";
import { UniqueId } from "../interfaces/unique_id.ts";
import { systemClock } from "./clock.ts";
import { attributeDefaults } from "./config/attributes.ts";
import { silentLogger } from "./log.ts";
import { definePlugin, isPluginDescriptor } from "./plugin.ts";

/** True only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

const SCHEMA = {
  port: { type: "integer", default: 4000, min: 0 },
  host: { type: "string" },
  mode: { type: "string", enum: ["fast", "safe"], default: "safe" },
  verbose: { type: "boolean", default: false },
  ratio: { type: "number" },
  tls: { type: "object" },
  members: { type: "array", default: [] },
  legacy: { type: "any" },
} as const;

const seen: unknown[] = [];

const typed = definePlugin({
  kind: "valve",
  name: "valve/typed",
  attributes: SCHEMA,
  create: (init, components) => {
    seen.push(init, components);
    const port: number = init.port;
    const mode: "fast" | "safe" = init.mode;
    const verbose: boolean = init.verbose;
    const members: unknown[] = init.members;
    // @ts-expect-error an attribute without a default may be absent
    const host: string = init.host;
    // @ts-expect-error a number is no string
    const wrong: string = init.port;
    // @ts-expect-error a name the schema does not list
    seen.push(init.unlisted);
    // @ts-expect-error a valve is given no channel
    seen.push(components.channel);
    seen.push(port, mode, verbose, members, host, wrong);
    return { invoke: (_request, next) => next() };
  },
});

const _initIsTyped: Equal<InitOf<typeof SCHEMA>, {
  port: number;
  mode: "fast" | "safe";
  verbose: boolean;
  members: unknown[];
  host?: string | undefined;
  ratio?: number | undefined;
  tls?: Record<string, unknown> | undefined;
  legacy?: unknown;
}> = true;

const manager = definePlugin({
  kind: "manager",
  name: "manager/typed",
  create: (init, components) => {
    // A manager's components are all there: no checks for absent ones.
    const channel: ManagerChannel = components.channel;
    const contextName: string = components.contextName;
    const sendOptions: number = components.sendOptions;
    // @ts-expect-error a plugin without attributes gets none
    seen.push(init.anything);
    // @ts-expect-error a manager is given no transport
    seen.push(components.transport);
    seen.push(channel, contextName, sendOptions);
    throw new Error("not built in this test");
  },
});

const sender = definePlugin({
  kind: "sender",
  name: "sender/typed",
  create: (_init, components) => {
    const transport: Transport | undefined = components.transport;
    if (!transport) throw new Error("needs a transport");
    return transport;
  },
});

// Descriptors of different schemas and kinds sit in one registry.
const registry: readonly PluginDescriptor[] = [typed, manager, sender];
const _managerNeedsChannel: Equal<
  ComponentsOf<"manager">,
  Components & { channel: ManagerChannel; contextName: string; sendOptions: number }
> = true;

function components(): Components {
  return {
    logger: silentLogger(),
    clock: systemClock,
    baseDir: ".",
    localMember: { id: UniqueId.random(), jvmRoute: "" },
  };
}

function _typeErrors(): void {
  // @ts-expect-error a manager cannot be built without its channel
  manager.create({}, components());
  // @ts-expect-error attributes with a default are present in `init`
  typed.create({}, components());
  definePlugin({
    kind: "valve",
    name: "valve/bad-default",
    // @ts-expect-error a default must have the attribute's type
    attributes: { port: { type: "integer", default: "4000" } },
    create: () => ({ invoke: (_request, next) => next() }),
  });
}

describe("definePlugin()", () => {
  it("passes the attributes and components it is given to create, unchanged", async () => {
    seen.length = 0;
    const init = { ...attributeDefaults(SCHEMA), host: "127.0.0.1" };
    const given = components();
    await typed.create(init, given);
    assert.equal(seen[0], init);
    assert.equal(seen[1], given);
  });

  it("fills in absent names and an empty schema, and marks the descriptor", () => {
    assert.deepEqual(manager.attributes, {});
    assert.deepEqual(manager.shortNames, []);
    assert.deepEqual(manager.aliases, []);
    assert.ok(Object.isFrozen(manager));
    assert.ok(registry.every(isPluginDescriptor));
    assert.equal(isPluginDescriptor({ kind: "valve", create: () => {} }), false);
  });
});

describe("attributeDefaults()", () => {
  it("gives every attribute its default, undefined where there is none", () => {
    assert.deepEqual(attributeDefaults(SCHEMA), {
      port: 4000,
      host: undefined,
      mode: "safe",
      verbose: false,
      ratio: undefined,
      tls: undefined,
      members: [],
      legacy: undefined,
    });
  });
});
