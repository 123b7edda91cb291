/**
 * The kernel's own schemas: the top level of `cluster.json` and the fixed containers (`cluster`,
 * `channel`) whose names and defaults mirror Tomcat's `server.xml`. Plugin slots inside them are
 * checked later, by each plugin's own schema.
 *
 * @module
 */
import type { AttributeSchema } from "../../interfaces/attributes.ts";
import type { LogLevel } from "./types.ts";

export const LOG_LEVELS: readonly LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warn",
  "error",
  "fatal",
  "silent",
];

/** The jvmRoute ends up in the session id and its cookie, so it keeps to cookie-safe characters. */
export const JVM_ROUTE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** An RFC 6265 cookie-name token. */
export const COOKIE_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A URL path prefix: it also becomes the cookie's `Path`, so no spaces, `;` or `,`. */
export const APP_PATH_PATTERN = /^\/[^\s;,]*$/;

export const CLUSTER_CLASS_NAMES = [
  "SimpleTcpCluster",
  "org.apache.catalina.ha.tcp.SimpleTcpCluster",
] as const;

export const CHANNEL_CLASS_NAMES = [
  "GroupChannel",
  "org.apache.catalina.tribes.group.GroupChannel",
] as const;

const PORT = { type: "integer", min: 0, max: 65535 } as const;

export const TOP_LEVEL_SCHEMA: AttributeSchema = {
  $schema: { type: "string", description: "A JSON Schema URL for editors; ignored" },
  jvmRoute: { type: "string", description: "Tomcat's <Engine jvmRoute>: the session id suffix" },
  http: { type: "object", default: {}, description: "Where the apps are served" },
  admin: { type: "object", description: "A separate listener for /_conclave/*" },
  apps: { type: "array", default: [], description: "The apps this node hosts" },
  strict: { type: "boolean", default: false, description: "Unknown attributes are errors" },
  logLevel: { type: "string", enum: LOG_LEVELS, default: "info" },
  cluster: { type: "object", description: "Tomcat's <Cluster>; none: the node runs alone" },
  shutdownTimeout: {
    type: "integer",
    default: 20_000,
    min: 0,
    description: "ms a stopping node lets requests in flight finish before it leaves",
  },
};

export const HTTP_SCHEMA: AttributeSchema = {
  host: { type: "string", default: "127.0.0.1" },
  port: { ...PORT, default: 8080, description: "0 picks a free port" },
  maxBodyBytes: {
    type: "integer",
    default: 1024 * 1024,
    min: 0,
    description: "Largest request body an app is handed, bytes; a larger one is answered 413",
  },
};

export const ADMIN_SCHEMA: AttributeSchema = {
  host: { type: "string", default: "127.0.0.1" },
  port: { ...PORT, description: "Required; 0 picks a free port" },
  token: {
    type: "string",
    description: "When set, every admin request must carry `Authorization: Bearer <token>`",
  },
};

export const APP_SCHEMA: AttributeSchema = {
  path: { type: "string", default: "/", description: "URL path prefix, starting with /" },
  module: { type: "string", description: "Required: the app's module specifier" },
  distributable: { type: "boolean", default: false, description: "Tomcat's <distributable/>" },
  secure: { type: "boolean", default: false, description: "The session cookie's Secure flag" },
  cookieName: { type: "string", default: "JSESSIONID" },
};

export const CLUSTER_SCHEMA: AttributeSchema = {
  channelSendOptions: {
    type: "any",
    default: 8,
    description: 'A bit field, or names such as "use_ack,sync"',
  },
  channelStartOptions: { type: "integer", min: 1, max: 15, default: 15 },
  heartbeatBackgroundEnabled: { type: "boolean", default: false },
  manager: { type: "object", description: "Slot: the session manager (DeltaManager)" },
  channel: { type: "object", description: "Tomcat's <Channel> (GroupChannel)" },
  valves: { type: "array", description: "Slots: ReplicationValve, JvmRouteBinderValve" },
  clusterListeners: { type: "array", description: "Slots: ClusterSessionListener" },
};

export const CHANNEL_SCHEMA: AttributeSchema = {
  heartbeat: { type: "boolean", default: true },
  heartbeatSleeptime: { type: "integer", min: 1, default: 5000, description: "Milliseconds" },
  // Tomcat defaults optionCheck to false, which lets two interceptors claim the same option bit and
  // then silently act on each other's messages. The check costs nothing at start, so it is on unless
  // a file turns it off.
  optionCheck: { type: "boolean", default: true },
  membership: { type: "object", description: "Slot: McastService or StaticMembershipService" },
  receiver: { type: "object", description: "Slot: NioReceiver" },
  sender: { type: "object", description: "Slot: ReplicationTransmitter, with a transport slot" },
  interceptors: { type: "array", description: "Slots, application side first" },
};
