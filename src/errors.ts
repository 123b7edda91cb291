/**
 * The error-code registry: every error Conclave raises on purpose carries one of these codes.
 *
 * The README's "Error codes" table is kept equal to this registry by `test/meta/error_table_test.ts`.
 * Codes are stable: rename one only with a changelog entry, since users match on them.
 *
 * @module
 */

/** One registry entry: what the code means and what the user should do about it. */
export interface ErrorInfo {
  readonly meaning: string;
  readonly fix: string;
}

/**
 * Every code, grouped by area. `CONFIG_ERR_*`, `CLI_ERR_*` and `CERTS_ERR_BAD_NODE_NAME` (a bad
 * command line) make the command exit with status 2.
 */
export const ERROR_CODES = {
  // --- command line ---
  CLI_ERR_BAD_FLAG: {
    meaning: "A command-line flag is unknown, lacks its value or has a malformed value",
    fix: "Run with `--help` and correct the flag",
  },
  // --- conclave certs ---
  CERTS_ERR_BAD_NODE_NAME: {
    meaning: "A node name given to `conclave certs --nodes` is malformed, repeated or `ca`",
    fix: "Use distinct names of letters, digits, `.`, `-` and `_`, starting with a letter or digit",
  },
  CERTS_ERR_EXISTS: {
    meaning: "`conclave certs` would overwrite certificate or key files that exist",
    fix: "Choose another `--out` folder, or add `--force` to replace the files",
  },
  CERTS_ERR_WRITE: {
    meaning: "`conclave certs` cannot write a certificate or key file",
    fix: "Check that the `--out` folder can be created and written",
  },
  // --- configuration file ---
  CLI_ERR_CONVERT: {
    meaning: "`conclave convert` was given XML that is not well formed or has no `<Cluster>`",
    fix: "Point it at the server.xml that holds the `<Cluster>` element",
  },
  STATUS_ERR_UNREACHABLE: {
    meaning: "`conclave status` could not read the node's admin endpoint",
    fix: "Check --url, and run it on the node's host (the admin surface answers loopback only)",
  },
  CONFIG_ERR_FILE_READ: {
    meaning: "The configuration file cannot be read",
    fix: "Check the `--config` path and the file's permissions",
  },
  CONFIG_ERR_JSON_SYNTAX: {
    meaning: "The configuration file is not valid JSON (comments are allowed)",
    fix: "Correct the syntax at the line and column named",
  },
  CONFIG_ERR_ENV_UNSET: {
    meaning: "A `${NAME}` reference names an environment variable that is not set",
    fix: "Set the variable, or give a default with `${NAME:-default}`",
  },
  CONFIG_ERR_ENV_SYNTAX: {
    meaning: "A `${...}` reference is malformed",
    fix: "Write `${NAME}` or `${NAME:-default}`, NAME made of letters, digits and `_`",
  },
  CONFIG_ERR_TYPE: {
    meaning: "A value has the wrong type",
    fix: "Use the type named in the message",
  },
  CONFIG_ERR_RANGE: {
    meaning: "A value is outside its allowed range or set of choices",
    fix: "Use a value within the range or set named in the message",
  },
  CONFIG_ERR_MISSING: {
    meaning: "A required value is missing",
    fix: "Add the value named in the message",
  },
  CONFIG_ERR_UNKNOWN_ATTRIBUTE: {
    meaning: 'An attribute is not accepted by its slot (an error only with `"strict": true`)',
    fix: "Remove or correct the attribute; the message lists the accepted ones",
  },
  CONFIG_ERR_SEND_OPTIONS: {
    meaning: "`channelSendOptions` is neither a bit field nor a list of known option names",
    fix: 'Use a number such as 8, or names such as `"use_ack,sync"`',
  },
  CONFIG_ERR_CLASSNAME_UNKNOWN: {
    meaning: "A `className` is neither a built-in name, a Tomcat alias nor a module specifier",
    fix: "Use one of the names suggested, or a path starting with `./`, `../`, `/` or `file:`",
  },
  CONFIG_ERR_CLASSNAME_UNSUPPORTED: {
    meaning: "A Tomcat class name that Conclave does not implement",
    fix: "Use one of the supported names suggested in the message",
  },
  CONFIG_ERR_PLUGIN_IMPORT: {
    meaning: "A plugin module named by `className` cannot be imported",
    fix:
      "Check the path (relative to the configuration file) and the module's own errors (the `cause`)",
  },
  CONFIG_ERR_PLUGIN_INVALID: {
    meaning: "A module named by `className` does not export a Conclave plugin",
    fix: "Default-export `definePlugin({ kind, name, create })` from the module",
  },
  CONFIG_ERR_PLUGIN_KIND: {
    meaning: "A plugin is of another kind than the slot it is configured in",
    fix: "Move the plugin to a slot of its kind, or name a plugin of the slot's kind",
  },
  // --- channel ---
  CHANNEL_ERR_OPTION_FLAG_CONFLICT: {
    meaning: "Two interceptors claim overlapping `optionFlag` bits",
    fix: "Give one of the two interceptors named another `optionFlag`",
  },
  CHANNEL_ERR_NOT_STARTED: {
    meaning: "A channel operation was called while the channel is stopped",
    fix: "Start the channel (or the node) first",
  },
  CHANNEL_ERR_NO_DESTINATION: {
    meaning: "A send named no destination member",
    fix: "Pass at least one member, or check `getMembers()` before sending",
  },
  CHANNEL_ERR_PAYLOAD: {
    meaning: "A message cannot be encoded or a received payload cannot be decoded",
    fix: "Send only values CBOR can carry as data; a decode failure is counted and logged",
  },
  CHANNEL_ERR_UNSUPPORTED_OPTION: {
    meaning: "A send asked for an option Conclave does not implement (`udp`, `multicast`)",
    fix: "Remove the option; members are reached over the receiver's connections",
  },
  CHANNEL_ERR_QUEUE_FULL: {
    meaning: "The asynchronous send queue is full",
    fix: "Raise `maxQueueSize` of MessageDispatchInterceptor, or send less",
  },
  CHANNEL_ERR_PLUGIN_FAILED: {
    meaning: "A plugin failed to start or stop",
    fix: "See the `cause` for the plugin's own error",
  },
  CHANNEL_ERR_CRYPTO_SELF_TEST: {
    meaning:
      "This runtime's crypto failed the channel's start-up self-test (a known answer, or a tampered message accepted)",
    fix:
      "Upgrade the runtime (Deno >= 2.1.7, Bun >= 1.2.1); the channel will not run with a secret on it",
  },
  CHANNEL_ERR_HANDSHAKE: {
    meaning:
      "A channel connection failed its handshake (another secret, another member, bad or late bytes); it was closed",
    fix:
      "Give every node the same membership `secret`; otherwise someone without it tried to connect",
  },
  CHANNEL_ERR_HANDSHAKE_LIMIT: {
    meaning: "Too many connections were in their handshake at once; a new one was closed",
    fix: "Someone opens connections without finishing them; find the source of the connections",
  },
  CHANNEL_ERR_RECORD: {
    meaning:
      "A frame on an authenticated connection failed its check (tampered, replayed, reordered or cut); the connection was closed",
    fix: "Something between the nodes altered the traffic; nothing of that frame was delivered",
  },
  CHANNEL_ERR_NOT_MEMBER: {
    meaning: "A message came from a peer that is not a current member; it was dropped and counted",
    fix: "A departed or not yet announced member sent it; if it persists, check the membership",
  },
  // --- send ---
  SEND_ERR_FAILED: {
    meaning: "A send did not reach one or more members",
    fix: "See `faultyMembers` for each member and its cause",
  },
  SEND_ERR_UNREACHABLE: {
    meaning: "A destination member cannot be reached",
    fix: "The member may have left; membership will report it",
  },
  SEND_ERR_REMOTE_PROCESSING: {
    meaning: "The receiver read the message but its processing failed (a fail-ack)",
    fix: "See the receiving node's log for the error",
  },
  SEND_ERR_TIMEOUT: {
    meaning: "A send was not written or acknowledged within the transport's `timeout`",
    fix: "Check the member's health and load, or raise `timeout` on the transport",
  },
  SEND_ERR_CONNECTION_LOST: {
    meaning: "The connection to a member closed before the send completed",
    fix: "The member may have stopped or restarted; membership will report it",
  },
  SEND_ERR_PEER_NOT_READING: {
    meaning:
      "A member stopped reading, its buffer stayed full for longer than `timeout`, and the connection was cut",
    fix: "Check the member's event loop (a long stall) or raise `timeout`",
  },
  // --- wire ---
  WIRE_ERR_FRAME_TOO_LARGE: {
    meaning: "A frame is larger than `maxFrameSize`; the connection is closed before allocating it",
    fix: "Raise `maxFrameSize` on receiver and transport, or send smaller messages",
  },
  WIRE_ERR_MALFORMED: {
    meaning: "A frame's envelope is not a valid Conclave envelope; the connection is closed",
    fix: "Only Conclave nodes may connect to the receiver port",
  },
  WIRE_ERR_TRUNCATED: {
    meaning: "A connection closed in the middle of a frame",
    fix: "The peer died or was cut off while sending; nothing of that frame was delivered",
  },
  WIRE_ERR_VERSION: {
    meaning: "A peer speaks an envelope version this node does not",
    fix: "Run the same Conclave version on all nodes, or upgrade one node at a time",
  },
  WIRE_ERR_IDENTITY: {
    meaning:
      "A message names another member than its connection proved (the secret handshake's id, or the certificate's name)",
    fix: "Issue each node a certificate named after its jvmRoute (`conclave certs --nodes`)",
  },
  WIRE_ERR_CONNECTION_LIMIT: {
    meaning: "The receiver already held `maxConnections` connections; a new one was closed at once",
    fix:
      "Someone holds many connections to the receiver port; find the source, or raise `maxConnections`",
  },
  WIRE_ERR_FRAME_TIMEOUT: {
    meaning:
      "A connection sent no complete frame within `frameTimeout` of connecting, or left a started frame unfinished that long; it was closed",
    fix:
      "A slow or stalled peer, or one holding connections open; raise `frameTimeout` for slow links",
  },
  WIRE_ERR_TLS_EXPECTED: {
    meaning:
      "A TLS client connected to a receiver without TLS, or plain bytes reached a TLS receiver",
    fix: "Configure `tls` on both receiver and sender of every node, or on none",
  },
  TLS_ERR_REFUSED: {
    meaning: "A TLS handshake was refused: no certificate, one from another CA, or an expired one",
    fix: "Give every node a certificate from the cluster CA (`conclave certs`)",
  },
  // --- membership ---
  MEMBERSHIP_ERR_MALFORMED: {
    meaning: "A membership message could not be decoded; it was dropped",
    fix: "Only Conclave nodes of the same version should send to the membership address and port",
  },
  MEMBERSHIP_ERR_AUTH: {
    meaning: "A membership message had no valid MAC for the cluster's `secret`; it was dropped",
    fix: "Give every node the same `secret`; a node without it is never added",
  },
  MEMBERSHIP_ERR_REPLAY: {
    meaning:
      "A membership message was stale or repeated (timestamp outside the window, or an old seq); it was dropped",
    fix: "Check the hosts' clocks (NTP); otherwise someone is replaying captured messages",
  },
  MEMBERSHIP_ERR_DNS: {
    meaning:
      "DnsMembershipService's lookup failed (the server did not answer or answered an error); the last answer is kept",
    fix: "Check `dnsName` and `dnsServers`, and that the DNS server answers from this host",
  },
  MEMBERSHIP_ERR_UNSUPPORTED: {
    meaning:
      "This runtime or host cannot run the configured membership (for example it cannot join the multicast group)",
    fix: "Use StaticMembershipService, or check the `bind` interface",
  },
  // --- sessions ---
  SESSION_ERR_VALUE: {
    meaning: "A session attribute was set to something that cannot be replicated",
    fix:
      "Store plain data (objects, arrays, strings, numbers, Date, Map, Set, Uint8Array), or set it with `{ replicate: false }`",
  },
  SESSION_ERR_ID: {
    meaning: "A session id given in code is malformed or already in use",
    fix: "Use `newSessionId(jvmRoute)` for ids, or let the manager choose",
  },
  SESSION_ERR_REPLICATION: {
    meaning:
      "A replication message from another node was malformed; it was refused, nothing applied",
    fix: "Run the same Conclave version on all nodes; see the sending node's log",
  },
  SESSION_ERR_INVALIDATED: {
    meaning: "A session was used after `invalidate()`",
    fix: "Call `ctx.getSession()` again for a new session",
  },
  SESSION_ERR_TOO_MANY: {
    meaning:
      "A request would create a session beyond the manager's `maxActiveSessions`; it was answered 503 with `Retry-After`",
    fix: "Raise `manager.maxActiveSessions` (-1: no limit), or let idle sessions expire sooner",
  },
  SESSION_ERR_TOO_LARGE: {
    meaning:
      "A session attribute is larger than any message between nodes can carry (`maxFrameSize`, 32 MiB by default)",
    fix: "Keep large data elsewhere (a file, a blob store) and store a reference in the session",
  },
  // --- apps ---
  APP_ERR_LOAD: {
    meaning: "An app module could not be imported or exports no fetch handler",
    fix:
      "Check the app's `module` path; its default export must be a function or an object with `fetch`",
  },
  // --- node ---
  NODE_ERR_START: {
    meaning: "The node failed to start for a reason other than its configuration",
    fix: "See the `cause`, for example a port already in use",
  },
  NODE_ERR_DUPLICATE_ROUTE: {
    meaning: "A live member already uses this node's `jvmRoute`; the node stopped before serving",
    fix: "Give each node its own `jvmRoute` (`--jvm-route`), or stop the member named first",
  },
} as const satisfies Record<string, ErrorInfo>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error type Conclave throws on purpose: `code` is stable, `message` is for people. */
export class ConclaveError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConclaveError";
    this.code = code;
  }
}

/** Where in a configuration file a bad value sits, and what was expected there. */
export interface ConfigErrorInit {
  /** The configuration file, as given (or `"<code>"` for a config passed in code). */
  file: string;
  /** JSON path of the value, such as `cluster.channel.receiver.port`; `""` for the whole file. */
  path: string;
  /** What was found, already rendered for people (`"abc" (string)`). */
  found: string;
  /** What was expected (`an integer from 0 to 65535`). */
  expected: string;
  /** 1-based line and column of the value, when known. */
  line?: number;
  column?: number;
  cause?: unknown;
}

/** A configuration error: names the file, the JSON path, what was found and what was expected. */
export class ConfigError extends ConclaveError {
  readonly file: string;
  readonly path: string;
  readonly found: string;
  readonly expected: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(code: ErrorCode, init: ConfigErrorInit) {
    const where = init.line === undefined ? init.file : `${init.file}:${init.line}:${init.column}`;
    const at = init.path === "" ? "" : ` at ${init.path}`;
    super(
      code,
      `Invalid configuration in ${where}${at}: found ${init.found}, expected ${init.expected}`,
      { cause: init.cause },
    );
    this.name = "ConfigError";
    this.file = init.file;
    this.path = init.path;
    this.found = init.found;
    this.expected = init.expected;
    this.line = init.line;
    this.column = init.column;
  }
}

/** Renders a found value for an error message: its JSON form, shortened, and its type. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  // JSON would show NaN and Infinity as null: keep their names.
  if (typeof value === "number" && !Number.isFinite(value)) return `${value} (number)`;
  const type = Array.isArray(value) ? "array" : typeof value;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length > 60) text = `${text.slice(0, 57)}...`;
  return `${text} (${type})`;
}

/**
 * The process exit status for an error: 2 for a bad command line or configuration (an app module
 * that is missing or throws on import included, SPEC section 1), else 1.
 */
export function exitCodeFor(error: unknown): 1 | 2 {
  if (error instanceof ConfigError) return 2;
  if (
    error instanceof ConclaveError &&
    (/^(CONFIG|CLI|APP)_ERR_/.test(error.code) || error.code === "CERTS_ERR_BAD_NODE_NAME")
  ) return 2;
  return 1;
}
