/**
 * The configuration kernel: loads `cluster.json` (JSON with comments, `${NAME:-default}` from the
 * environment, command-line overrides), checks the kernel's own sections, fills Tomcat's default
 * slots, and checks plugin slots against plugin schemas on request.
 *
 * @module
 */
export { loadConfig, loadConfigFile } from "./load.ts";
export { describeSpec, validateAttributes } from "./attributes.ts";
export { childPath, formatPath, MAX_DEPTH, type ParsedJson, parseJsonc } from "./json.ts";
export { type EnvRecord, type Substituted, substituteEnv, type SubstituteOptions } from "./env.ts";
export {
  formatSendOptions,
  parseSendOptions,
  SEND_OPTION_NAMES,
  type SendOptionsSource,
} from "./send_options.ts";
export {
  DEFAULT_CLASS_NAMES,
  DEFAULT_CLUSTER_LISTENERS,
  DEFAULT_INTERCEPTORS,
  DEFAULT_VALVES,
  defaultSlot,
  defaultSlots,
  TRANSPORT_SENDERS,
} from "./defaults.ts";
export {
  ADMIN_SCHEMA,
  APP_PATH_PATTERN,
  APP_SCHEMA,
  CHANNEL_CLASS_NAMES,
  CHANNEL_SCHEMA,
  CLUSTER_CLASS_NAMES,
  CLUSTER_SCHEMA,
  COOKIE_NAME_PATTERN,
  HTTP_SCHEMA,
  JVM_ROUTE_PATTERN,
  LOG_LEVELS,
  TOP_LEVEL_SCHEMA,
} from "./schema.ts";
export { readSlot, readSlotList } from "./slots.ts";
export type {
  AppConfig,
  AttributeContext,
  ChannelConfig,
  ClusterConfig,
  ConfigContext,
  ConfigOverrides,
  ConfigWarning,
  ListenerConfig,
  LoadedConfig,
  LoadOptions,
  LogLevel,
  Position,
  PositionMap,
  SenderSlot,
  Slot,
} from "./types.ts";
