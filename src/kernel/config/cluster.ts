/**
 * The `cluster` and `channel` containers: their own attributes, and the plugin slots they hold,
 * with Tomcat's default slots wherever the file leaves one out.
 *
 * @module
 */
import { describeValue } from "../../errors.ts";
import { validateAttributes } from "./attributes.ts";
import { configError } from "./config_error.ts";
import {
  DEFAULT_CLASS_NAMES,
  DEFAULT_CLUSTER_LISTENERS,
  DEFAULT_INTERCEPTORS,
  DEFAULT_VALVES,
  defaultSlot,
  TRANSPORT_SENDERS,
} from "./defaults.ts";
import { childPath } from "./json.ts";
import {
  CHANNEL_CLASS_NAMES,
  CHANNEL_SCHEMA,
  CLUSTER_CLASS_NAMES,
  CLUSTER_SCHEMA,
} from "./schema.ts";
import { parseSendOptions } from "./send_options.ts";
import { readSlot, readSlotList } from "./slots.ts";
import type { AttributeContext, ChannelConfig, ClusterConfig, SenderSlot } from "./types.ts";

/** The scope a container is read in; `path` is set per container. */
export type Scope = Omit<AttributeContext, "path">;

/**
 * Reads `cluster`; an absent one is the one-line form.
 *
 * @throws {CONFIG_ERR_RANGE} a className other than SimpleTcpCluster
 */
/**
 * The cluster of a node without one: a private in-memory channel (no port, no membership
 * traffic, no other member can ever join it) and no interceptors.
 */
function aloneCluster(): Record<string, unknown> {
  const network = `alone-${crypto.randomUUID()}`;
  return {
    className: CLUSTER_CLASS_NAMES[0],
    channel: {
      className: "GroupChannel",
      membership: { className: "MemoryMembership", network },
      receiver: { className: "MemoryReceiver", network },
      sender: { className: "MemorySender", network },
      interceptors: [],
    },
    valves: [],
    clusterListeners: [],
  };
}

export function readCluster(
  value: Record<string, unknown> | undefined,
  scope: Scope,
): ClusterConfig {
  const path = "cluster";
  const raw = value ?? aloneCluster();
  checkClassName(raw, path, CLUSTER_CLASS_NAMES, scope);
  const attrs = validateAttributes(raw, CLUSTER_SCHEMA, { ...scope, path });
  const sendPath = childPath(path, "channelSendOptions");
  return {
    alone: value === undefined,
    channelSendOptions: parseSendOptions(attrs.channelSendOptions, {
      file: scope.file,
      path: sendPath,
      ...scope.positions.get(sendPath),
    }),
    channelStartOptions: attrs.channelStartOptions as number,
    heartbeatBackgroundEnabled: attrs.heartbeatBackgroundEnabled as boolean,
    manager: readSlot(
      attrs.manager,
      childPath(path, "manager"),
      scope,
      DEFAULT_CLASS_NAMES.manager,
      DEFAULT_CLASS_NAMES.manager,
    ),
    channel: readChannel(attrs.channel as Record<string, unknown> | undefined, scope),
    valves: readSlotList(
      attrs.valves,
      childPath(path, "valves"),
      scope,
      "ReplicationValve",
      DEFAULT_VALVES,
    ),
    clusterListeners: readSlotList(
      attrs.clusterListeners,
      childPath(path, "clusterListeners"),
      scope,
      "ClusterSessionListener",
      DEFAULT_CLUSTER_LISTENERS,
    ),
  };
}

function readChannel(value: Record<string, unknown> | undefined, scope: Scope): ChannelConfig {
  const path = "cluster.channel";
  const raw = value ?? { className: DEFAULT_CLASS_NAMES.channel };
  checkClassName(raw, path, CHANNEL_CLASS_NAMES, scope);
  const attrs = validateAttributes(raw, CHANNEL_SCHEMA, { ...scope, path });
  const slot = (name: "membership" | "receiver") =>
    readSlot(
      attrs[name],
      childPath(path, name),
      scope,
      DEFAULT_CLASS_NAMES[name],
      DEFAULT_CLASS_NAMES[name],
    );
  return {
    heartbeat: attrs.heartbeat as boolean,
    heartbeatSleeptime: attrs.heartbeatSleeptime as number,
    optionCheck: attrs.optionCheck as boolean,
    membership: slot("membership"),
    receiver: slot("receiver"),
    sender: readSender(attrs.sender, childPath(path, "sender"), scope),
    interceptors: readSlotList(
      attrs.interceptors,
      childPath(path, "interceptors"),
      scope,
      "TcpFailureDetector",
      DEFAULT_INTERCEPTORS,
    ),
  };
}

// The transport is a slot of its own (Tomcat's <Transport> inside <Sender>), so it leaves `raw`.
function readSender(value: unknown, path: string, scope: Scope): SenderSlot {
  const { sender, transport } = DEFAULT_CLASS_NAMES;
  const slot = readSlot(value, path, scope, sender, sender);
  const transportPath = childPath(path, "transport");
  const { transport: rawTransport, ...raw } = slot.raw;
  if (rawTransport !== undefined) {
    return { ...slot, raw, transport: readSlot(rawTransport, transportPath, scope, transport) };
  }
  if (TRANSPORT_SENDERS.includes(slot.className)) {
    return { ...slot, raw, transport: defaultSlot(transport, transportPath) };
  }
  return { ...slot, raw };
}

function checkClassName(
  raw: Record<string, unknown>,
  path: string,
  accepted: readonly string[],
  scope: Scope,
): void {
  const classPath = childPath(path, "className");
  const className = raw.className;
  const expected = `one of ${accepted.map((name) => JSON.stringify(name)).join(", ")}`;
  if (className === undefined) {
    throw configError("CONFIG_ERR_MISSING", scope, classPath, "no className", expected, path);
  }
  if (typeof className !== "string") {
    throw configError("CONFIG_ERR_TYPE", scope, classPath, describeValue(className), expected);
  }
  if (!accepted.includes(className)) {
    throw configError("CONFIG_ERR_RANGE", scope, classPath, describeValue(className), expected);
  }
}
