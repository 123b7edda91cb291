import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError } from "../../errors.ts";
import { assertConfigError, assertRejectsConfigError, type ConfigErrorFields } from "./_testing.ts";
import { validateAttributes } from "./attributes.ts";
import { loadConfig, loadConfigFile } from "./load.ts";
import type { ConfigWarning, LoadOptions } from "./types.ts";

let dir = "";
let count = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-config-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(text: string): Promise<string> {
  const file = join(dir, `config-${++count}.json`);
  await writeFile(file, text);
  return file;
}

async function load(text: string, options: LoadOptions = {}) {
  return await loadConfigFile(await write(text), { env: {}, ...options });
}

const ONE_LINE_CLUSTER = {
  alone: false,
  channelSendOptions: 8,
  channelStartOptions: 15,
  heartbeatBackgroundEnabled: false,
  manager: { className: "DeltaManager", path: "cluster.manager", raw: {} },
  channel: {
    heartbeat: true,
    heartbeatSleeptime: 5000,
    optionCheck: true,
    membership: { className: "McastService", path: "cluster.channel.membership", raw: {} },
    receiver: { className: "NioReceiver", path: "cluster.channel.receiver", raw: {} },
    sender: {
      className: "ReplicationTransmitter",
      path: "cluster.channel.sender",
      raw: {},
      transport: {
        className: "PooledParallelSender",
        path: "cluster.channel.sender.transport",
        raw: {},
      },
    },
    interceptors: [
      { className: "TcpFailureDetector", path: "cluster.channel.interceptors[0]", raw: {} },
      { className: "MessageDispatchInterceptor", path: "cluster.channel.interceptors[1]", raw: {} },
    ],
  },
  valves: [
    { className: "ReplicationValve", path: "cluster.valves[0]", raw: {} },
    { className: "JvmRouteBinderValve", path: "cluster.valves[1]", raw: {} },
  ],
  clusterListeners: [
    { className: "ClusterSessionListener", path: "cluster.clusterListeners[0]", raw: {} },
  ],
};

const SPEC_EXAMPLE = `{
  "jvmRoute": "node1",                       // Tomcat: <Engine jvmRoute>; the session id suffix
  "http": { "host": "127.0.0.1", "port": 8081 },
  "apps": [
    { "path": "/", "module": "./app.ts", "distributable": true }   // <distributable/>
  ],
  "cluster": {
    "className": "SimpleTcpCluster",
    "channelSendOptions": 8,                 // Tomcat's bit field: 8 async, 2 ack, 4 sync-ack ...
    "manager": { "className": "DeltaManager", "expireSessionsOnShutdown": false,
                 "notifyListenersOnReplication": true, "stateTransferTimeout": 60 },
    "channel": {
      "className": "GroupChannel",
      "membership": { "className": "McastService", "address": "228.0.0.4", "port": 45564,
                      "frequency": 500, "dropTime": 3000, "bind": "127.0.0.1", "ttl": 1 },
      "receiver": { "className": "NioReceiver", "address": "127.0.0.1", "port": 4000, "autoBind": 100 },
      "sender": { "className": "ReplicationTransmitter",
                  "transport": { "className": "PooledParallelSender" } },
      "interceptors": [ { "className": "TcpFailureDetector" },
                        { "className": "MessageDispatchInterceptor" } ]
    },
    "valves": [ { "className": "ReplicationValve", "filter": "" },
                { "className": "JvmRouteBinderValve" } ],
    "clusterListeners": [ { "className": "ClusterSessionListener" } ]
  }
}`;

describe("loadConfigFile()", () => {
  it("loadConfigFile() fills every default from the one-line form", async () => {
    const config = await load('{ "cluster": { "className": "SimpleTcpCluster" } }');
    assert.equal(config.jvmRoute, undefined);
    assert.equal(config.admin, undefined);
    assert.deepEqual(config.http, { host: "127.0.0.1", port: 8080, maxBodyBytes: 1048576 });
    assert.deepEqual(config.apps, []);
    assert.equal(config.strict, false);
    assert.equal(config.logLevel, "info");
    assert.deepEqual(config.cluster, ONE_LINE_CLUSTER);
    assert.deepEqual(config.warnings, []);
  });

  it("loadConfigFile() makes a node without a cluster key run alone: no port, no membership traffic", async () => {
    const config = await load("{}");
    const { alone, channel, valves, clusterListeners } = config.cluster;
    assert.equal(alone, true);
    assert.deepEqual(
      [channel.membership.className, channel.receiver.className, channel.sender.className],
      ["MemoryMembership", "MemoryReceiver", "MemorySender"],
    );
    // A private in-memory network: no other node can ever share it.
    const network = channel.membership.raw.network;
    assert.match(String(network), /^alone-[0-9a-f-]{36}$/);
    assert.notEqual((await load("{}")).cluster.channel.membership.raw.network, network);
    assert.deepEqual([channel.interceptors, valves, clusterListeners], [[], [], []]);
  });

  it("loadConfigFile() reads the SPEC example, keeping each slot's attributes for its plugin", async () => {
    const config = await load(SPEC_EXAMPLE);
    assert.equal(config.jvmRoute, "node1");
    assert.deepEqual(config.http, { host: "127.0.0.1", port: 8081, maxBodyBytes: 1048576 });
    assert.deepEqual(config.apps, [
      {
        path: "/",
        module: "./app.ts",
        distributable: true,
        secure: false,
        cookieName: "JSESSIONID",
      },
    ]);
    const { cluster } = config;
    assert.deepEqual(cluster.manager.raw, {
      expireSessionsOnShutdown: false,
      notifyListenersOnReplication: true,
      stateTransferTimeout: 60,
    });
    assert.deepEqual(cluster.channel.receiver, {
      className: "NioReceiver",
      path: "cluster.channel.receiver",
      raw: { address: "127.0.0.1", port: 4000, autoBind: 100 },
    });
    assert.equal(cluster.channel.membership.raw.ttl, 1);
    assert.deepEqual(cluster.channel.sender.raw, {});
    assert.equal(cluster.channel.sender.transport?.className, "PooledParallelSender");
    assert.deepEqual(cluster.valves[0].raw, { filter: "" });
    assert.deepEqual(
      cluster.channel.interceptors.map((slot) => slot.className),
      ["TcpFailureDetector", "MessageDispatchInterceptor"],
    );
    assert.deepEqual(config.warnings, []);
  });

  it("loadConfigFile() keeps an explicit [] of interceptors, valves or listeners empty", async () => {
    const config = await load(
      '{"cluster": {"className": "SimpleTcpCluster", "valves": [], "clusterListeners": [],' +
        ' "channel": {"className": "GroupChannel", "interceptors": []}}}',
    );
    assert.deepEqual(config.cluster.channel.interceptors, []);
    assert.deepEqual(config.cluster.valves, []);
    assert.deepEqual(config.cluster.clusterListeners, []);
  });

  it("loadConfigFile() accepts Tomcat's fully qualified cluster and channel classNames", async () => {
    const config = await load(
      '{"cluster": {"className": "org.apache.catalina.ha.tcp.SimpleTcpCluster", "channel": ' +
        '{"className": "org.apache.catalina.tribes.group.GroupChannel", "optionCheck": false, ' +
        '"heartbeatSleeptime": 1000}}}',
    );
    assert.equal(config.cluster.channel.optionCheck, false);
    assert.equal(config.cluster.channel.heartbeatSleeptime, 1000);
  });

  it("loadConfigFile() reads channelSendOptions names, also from the environment", async () => {
    const config = await load(
      '{"cluster": {"className": "SimpleTcpCluster", "channelSendOptions": "use_ack, sync"}}',
    );
    assert.equal(config.cluster.channelSendOptions, 6);
    const fromEnv = await load(
      '{"cluster": {"className": "SimpleTcpCluster", "channelSendOptions": "${OPTS:-async}"}}',
      { env: { OPTS: "10" } },
    );
    assert.equal(fromEnv.cluster.channelSendOptions, 10);
  });

  it("loadConfigFile() coerces substituted numbers and booleans in kernel sections", async () => {
    const config = await load(
      '{"http": {"port": "${HTTP_PORT}"}, "strict": "${STRICT:-false}", ' +
        '"apps": [{"module": "./a.ts", "secure": "${SECURE}"}]}',
      { env: { HTTP_PORT: "9000", SECURE: "true" } },
    );
    assert.equal(config.http.port, 9000);
    assert.equal(config.strict, false);
    assert.equal(config.apps[0].secure, true);
  });

  it("loadConfigFile() applies command-line overrides after substitution and before validation", async () => {
    const config = await load(
      '{"jvmRoute": "${ROUTE}", "http": {"port": 8081}, "logLevel": "info", "cluster": ' +
        '{"className": "SimpleTcpCluster", "channel": {"className": "GroupChannel", "receiver": ' +
        '{"className": "NioReceiver", "address": "127.0.0.1", "port": 4000}}}}',
      {
        env: { ROUTE: "file" },
        overrides: { jvmRoute: "node2", httpPort: 8082, receiverPort: 4002, logLevel: "debug" },
      },
    );
    assert.equal(config.jvmRoute, "node2");
    assert.equal(config.http.port, 8082);
    assert.equal(config.logLevel, "debug");
    assert.deepEqual(config.cluster.channel.receiver.raw, { address: "127.0.0.1", port: 4002 });
    assert.equal(config.context.substituted.has("jvmRoute"), false);
  });

  it("loadConfigFile() creates the receiver slot from its default for --receiver-port", async () => {
    const config = await load("{}", { overrides: { receiverPort: 4001 } });
    assert.deepEqual(config.cluster.channel.receiver, {
      className: "NioReceiver",
      path: "cluster.channel.receiver",
      raw: { port: 4001 },
    });
    assert.equal(config.cluster.channel.interceptors.length, 2);
    assert.equal(config.cluster.manager.className, "DeltaManager");
  });

  it("loadConfigFile() reports an overridden value without a file position", async () => {
    await assertRejectsConfigError(
      () => load('{"jvmRoute": "ok"}', { overrides: { jvmRoute: "a.b" } }),
      {
        code: "CONFIG_ERR_RANGE",
        path: "jvmRoute",
        found: '"a.b" (string)',
        line: undefined,
      },
    );
  });

  it("loadConfigFile() returns the file's absolute folder and a context for checking slots later", async () => {
    const file = await write(
      '{"cluster": {"className": "SimpleTcpCluster", "channel": {"className": "GroupChannel",\n' +
        '  "receiver": {"className": "NioReceiver", "port": "${PORT}", "autoBind": -5}}}}',
    );
    const config = await loadConfigFile(file, { env: { PORT: "4005" } });
    assert.equal(config.baseDir, resolve(dir));
    assert.equal(config.file, file);
    const slot = config.cluster.channel.receiver;
    const warnings: ConfigWarning[] = [];
    const ctx = {
      ...config.context,
      path: slot.path,
      warn: (w: ConfigWarning) => warnings.push(w),
    };
    const port = { port: { type: "integer", min: 0, max: 65535 } } as const;
    assert.deepEqual(validateAttributes({ port: slot.raw.port }, port, ctx), { port: 4005 });
    assertConfigError(
      () => validateAttributes(slot.raw, { ...port, autoBind: { type: "integer", min: 0 } }, ctx),
      {
        code: "CONFIG_ERR_RANGE",
        file,
        path: "cluster.channel.receiver.autoBind",
        line: 2,
        column: 75,
      },
    );
  });

  it("loadConfigFile() warns once per container about unknown keys, and collects the warnings", async () => {
    const config = await load(
      '{"jvmroute": "x", "http": {"prot": 1}, "cluster": {"className": "SimpleTcpCluster", ' +
        '"channel": {"className": "GroupChannel", "heartBeat": true}}}',
    );
    assert.deepEqual(
      config.warnings.map((w) => [w.path, w.unknown]),
      [["", ["jvmroute"]], ["http", ["prot"]], ["cluster.channel", ["heartBeat"]]],
    );
    assert.ok(config.warnings[0].accepted.includes("jvmRoute"));
    assert.match(config.warnings[0].message, /"jvmroute" at the top level in .*:1:14; accepted: /);
  });

  it("loadConfigFile() moves a sender's transport into its own slot, and gives other senders none", async () => {
    const config = await load(
      '{"cluster": {"className": "SimpleTcpCluster", "channel": {"className": "GroupChannel", ' +
        '"sender": {"className": "./my-sender.ts", "timeout": 5}}}}',
    );
    assert.deepEqual(config.cluster.channel.sender, {
      className: "./my-sender.ts",
      path: "cluster.channel.sender",
      raw: { timeout: 5 },
    });
    const tls = await load(
      '{"cluster": {"className": "SimpleTcpCluster", "channel": {"className": "GroupChannel", ' +
        '"sender": {"className": "ReplicationTransmitter", "transport": ' +
        '{"className": "PooledParallelSender", "tls": {"ca": "ca.pem"}}}}}}',
    );
    assert.deepEqual(tls.cluster.channel.sender.raw, {});
    assert.deepEqual(tls.cluster.channel.sender.transport, {
      className: "PooledParallelSender",
      path: "cluster.channel.sender.transport",
      raw: { tls: { ca: "ca.pem" } },
    });
  });

  it("loadConfigFile() ignores a byte order mark before the JSON", async () => {
    const config = await load('\ufeff{"jvmRoute": "bom"}');
    assert.equal(config.jvmRoute, "bom");
  });

  it("loadConfigFile() rejects a missing file with CONFIG_ERR_FILE_READ naming it, with the OS error as cause", async () => {
    const file = join(dir, "does-not-exist.json");
    const error = await assertRejectsConfigError(() => loadConfigFile(file), {
      code: "CONFIG_ERR_FILE_READ",
      file,
      path: "",
      found: "ENOENT (no such file)",
      expected: "a readable configuration file",
    });
    assert.ok(error.cause instanceof Error);
    assert.ok(error.message.includes(file));
  });
});

// Each row: a bad configuration, the options it is loaded with, and the error it must raise.
const BAD: [string, string, LoadOptions, ConfigErrorFields][] = [
  ["a string for http.port", '{"http": {"port": "8080"}}', {}, {
    code: "CONFIG_ERR_TYPE",
    path: "http.port",
    found: '"8080" (string)',
    expected: "an integer from 0 to 65535",
    line: 1,
    column: 19,
  }],
  ["an out-of-range http.port", '{\n  "http": {\n    "port": 70000\n  }\n}', {}, {
    code: "CONFIG_ERR_RANGE",
    path: "http.port",
    found: "70000 (number)",
    expected: "an integer from 0 to 65535",
    line: 3,
    column: 13,
  }],
  ["a jvmRoute a cookie cannot carry", '{"jvmRoute": "node 1"}', {}, {
    code: "CONFIG_ERR_RANGE",
    path: "jvmRoute",
    found: '"node 1" (string)',
    expected:
      '1 to 64 letters, digits, "_" or "-" (the jvmRoute becomes part of the session cookie)',
    line: 1,
    column: 14,
  }],
  ["an unset environment variable", '{\n  "jvmRoute": "${NODE_NAME}"\n}', {}, {
    code: "CONFIG_ERR_ENV_UNSET",
    path: "jvmRoute",
    found: "${NODE_NAME} with NODE_NAME unset",
    line: 2,
    column: 15,
  }],
  ["a malformed ${", '{"http": {"host": "${HOST"}}', {}, {
    code: "CONFIG_ERR_ENV_SYNTAX",
    path: "http.host",
    found: '"${HOST" (no closing "}")',
    line: 1,
    column: 19,
  }],
  ["a JSON syntax error", '{\n  "http": { "port" 8080 }\n}', {}, {
    code: "CONFIG_ERR_JSON_SYNTAX",
    path: "",
    found: '"8080"',
    expected: '":" after the property name',
    line: 2,
    column: 20,
  }],
  ["a trailing comma", '{\n  "jvmRoute": "a",\n}', {}, {
    code: "CONFIG_ERR_JSON_SYNTAX",
    found: '"}"',
    line: 3,
    column: 1,
  }],
  ["a duplicate key", '{"jvmRoute": "a",\n "jvmRoute": "b"}', {}, {
    code: "CONFIG_ERR_JSON_SYNTAX",
    path: "jvmRoute",
    found: 'a second property "jvmRoute"',
    line: 2,
    column: 2,
  }],
  [
    "a slot without className",
    '{"cluster": {"className": "SimpleTcpCluster", "channel": {"className": "GroupChannel",\n' +
    '  "membership": {"port": 45564}}}}',
    {},
    {
      code: "CONFIG_ERR_MISSING",
      path: "cluster.channel.membership.className",
      found: "no className",
      expected: 'a className such as "McastService"',
      line: 2,
      column: 17,
    },
  ],
  [
    "a className that is not a string",
    '{"cluster": {"className": "SimpleTcpCluster", "manager": {"className": 5}}}',
    {},
    {
      code: "CONFIG_ERR_TYPE",
      path: "cluster.manager.className",
      found: "5 (number)",
      line: 1,
      column: 72,
    },
  ],
  [
    "a slot that is not an object",
    '{"cluster": {"className": "SimpleTcpCluster", "channel": {"className": "GroupChannel", ' +
    '"interceptors": [{"className": "TcpFailureDetector"}, "MessageDispatchInterceptor"]}}}',
    {},
    {
      code: "CONFIG_ERR_TYPE",
      path: "cluster.channel.interceptors[1]",
      found: '"MessageDispatchInterceptor" (string)',
      expected: 'an object with a "className", such as { "className": "TcpFailureDetector" }',
      line: 1,
      column: 142,
    },
  ],
  [
    "interceptors that are not an array",
    '{"cluster": {"className": "SimpleTcpCluster", "channel": {"className": "GroupChannel", ' +
    '"interceptors": {"className": "TcpFailureDetector"}}}}',
    {},
    { code: "CONFIG_ERR_TYPE", path: "cluster.channel.interceptors", expected: "an array" },
  ],
  [
    "a bad channelSendOptions name",
    '{"cluster": {"className": "SimpleTcpCluster",\n  "channelSendOptions": "use_ack,synch"}}',
    {},
    {
      code: "CONFIG_ERR_SEND_OPTIONS",
      path: "cluster.channelSendOptions",
      found: 'the unknown name "synch" in "use_ack,synch"',
      line: 2,
      column: 25,
    },
  ],
  ["an unknown attribute with strict", '{"strict": true, "http": {"port": 1, "prot": 2}}', {}, {
    code: "CONFIG_ERR_UNKNOWN_ATTRIBUTE",
    path: "http.prot",
    found: 'unknown attribute "prot"',
    expected: 'only the accepted attributes: host, maxBodyBytes, port (did you mean "port"?)',
    line: 1,
    column: 46,
  }],
  [
    "an unknown slot attribute of a container with strict",
    '{"cluster": {"className": "SimpleTcpCluster", "managre": {}}, "strict": true}',
    {},
    { code: "CONFIG_ERR_UNKNOWN_ATTRIBUTE", path: "cluster.managre", line: 1, column: 58 },
  ],
  [
    "a cluster className Conclave does not have",
    '{"cluster": {"className": "BackupCluster"}}',
    {},
    {
      code: "CONFIG_ERR_RANGE",
      path: "cluster.className",
      found: '"BackupCluster" (string)',
      expected: 'one of "SimpleTcpCluster", "org.apache.catalina.ha.tcp.SimpleTcpCluster"',
      line: 1,
      column: 27,
    },
  ],
  ["a cluster without className", '{"cluster": {"channelSendOptions": 6}}', {}, {
    code: "CONFIG_ERR_MISSING",
    path: "cluster.className",
    line: 1,
    column: 13,
  }],
  [
    "a channel className Conclave does not have",
    '{"cluster": {"className": "SimpleTcpCluster", "channel": {"className": "OtherChannel"}}}',
    {},
    { code: "CONFIG_ERR_RANGE", path: "cluster.channel.className", column: 72 },
  ],
  ["an app path without a leading /", '{"apps": [{"path": "shop", "module": "./a.ts"}]}', {}, {
    code: "CONFIG_ERR_RANGE",
    path: "apps[0].path",
    found: '"shop" (string)',
    expected: 'a URL path starting with "/", without spaces, ";" or ","',
    line: 1,
    column: 20,
  }],
  ["an app with an empty module", '{"apps": [{"path": "/", "module": " "}]}', {}, {
    code: "CONFIG_ERR_MISSING",
    path: "apps[0].module",
    found: '" " (string)',
    expected: 'the app\'s module, such as "./app.ts"',
    line: 1,
    column: 35,
  }],
  [
    "two apps on one path",
    '{"apps": [{"module": "./a.ts"}, {"path": "/", "module": "./b.ts"}]}',
    {},
    {
      code: "CONFIG_ERR_RANGE",
      path: "apps[1].path",
      expected: "a path no other app uses (apps[0] uses it)",
    },
  ],
  ["a cookie name with a space", '{"apps": [{"module": "./a.ts", "cookieName": "MY ID"}]}', {}, {
    code: "CONFIG_ERR_RANGE",
    path: "apps[0].cookieName",
  }],
  ["an unknown logLevel", '{"logLevel": "verbose"}', {}, {
    code: "CONFIG_ERR_RANGE",
    path: "logLevel",
    expected: 'one of "trace", "debug", "info", "warn", "error", "fatal", "silent"',
  }],
  ["an admin listener without port", '{"admin": {"host": "127.0.0.1"}}', {}, {
    code: "CONFIG_ERR_MISSING",
    path: "admin.port",
    line: 1,
    column: 11,
  }],
  [
    "channelStartOptions above 15",
    '{"cluster": {"className": "SimpleTcpCluster", "channelStartOptions": 16}}',
    {},
    { code: "CONFIG_ERR_RANGE", expected: "an integer from 1 to 15" },
  ],
  ["a non-boolean strict", '{"strict": "yes"}', {}, {
    code: "CONFIG_ERR_TYPE",
    path: "strict",
    expected: "true or false",
  }],
  ["an array at the top level", "[]", {}, {
    code: "CONFIG_ERR_TYPE",
    path: "",
    found: "[] (array)",
    expected: "an object at the top level",
    line: 1,
    column: 1,
  }],
  ["an out-of-range --http-port", "{}", { overrides: { httpPort: 99999 } }, {
    code: "CONFIG_ERR_RANGE",
    path: "http.port",
    line: undefined,
  }],
];

describe("loadConfigFile() on bad configurations", () => {
  for (const [name, text, options, fields] of BAD) {
    it(`loadConfigFile() rejects ${name}`, async () => {
      const file = await write(text);
      const error = await assertRejectsConfigError(
        () => loadConfigFile(file, { env: {}, ...options }),
        { file, ...fields },
      );
      assert.ok(error.message.startsWith(`Invalid configuration in ${file}`));
    });
  }
});

describe("loadConfig()", () => {
  it('loadConfig() checks a config built in code, naming the file "<code>"', () => {
    assertConfigError(() => loadConfig({ http: { port: -1 } }), {
      code: "CONFIG_ERR_RANGE",
      file: "<code>",
      path: "http.port",
      line: undefined,
      column: undefined,
    });
  });

  it("loadConfig() resolves baseDir, substitutes the env and leaves its input unchanged", () => {
    const input = { jvmRoute: "${R:-n1}", cluster: { className: "SimpleTcpCluster" } };
    const config = loadConfig(input, { baseDir: "some/dir", env: {} });
    assert.equal(config.file, "<code>");
    assert.equal(config.baseDir, resolve("some/dir"));
    assert.equal(config.jvmRoute, "n1");
    assert.deepEqual(input, { jvmRoute: "${R:-n1}", cluster: { className: "SimpleTcpCluster" } });
    assert.deepEqual(config.cluster, ONE_LINE_CLUSTER);
  });

  it("loadConfig() treats undefined values as absent", () => {
    const config = loadConfig({ admin: undefined, http: { port: undefined } }, { env: {} });
    assert.equal(config.admin, undefined);
    assert.equal(config.http.port, 8080);
  });

  it("loadConfig() throws only ConfigErrors for values that are not objects", () => {
    for (const value of [null, 5, "x", [], new Date(0)]) {
      assert.throws(() => loadConfig(value, { env: {} }), ConfigError);
    }
  });
});
