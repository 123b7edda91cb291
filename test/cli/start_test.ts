import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { NodeProcess, stopped } from "../helpers/node_process.ts";
import { runScript } from "../helpers/runtime.ts";

const entry = join(dirname(fileURLToPath(import.meta.url)), "../../node.ts");
const pluginBase = join(dirname(fileURLToPath(import.meta.url)), "../../src/mod.ts");

const memoryCluster = {
  jvmRoute: "cli1",
  cluster: {
    className: "SimpleTcpCluster",
    channel: {
      className: "GroupChannel",
      membership: { className: "MemoryMembership" },
      receiver: { className: "MemoryReceiver" },
      sender: { className: "MemorySender" },
      interceptors: [{ className: "MessageDispatchInterceptor" }],
    },
  },
};

describe("node.ts (the start command)", () => {
  let dir: string;
  const write = async (name: string, content: unknown) => {
    const file = join(dir, name);
    await writeFile(file, typeof content === "string" ? content : JSON.stringify(content));
    return file;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "conclave-cli-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('logs "Node started" with its fields, and exits 0 after SIGTERM', async () => {
    const file = await write("ok.json", memoryCluster);
    const node = new NodeProcess({ config: file, jvmRoute: "flagged", entry });
    try {
      const line = await node.started();
      assert.equal(line.jvmRoute, "flagged", "--jvm-route overrides the file");
      assert.match(String(line.receiver), /^memory:4000$/);
      assert.match(String(line.runtime), /^(node|deno|bun) \d+\.\d+/);
      assert.ok("http" in line);
      const warning = await node.waitFor(
        "the no-apps warning",
        (l) => /no "apps"/.test(String(l.msg)),
      );
      assert.match(String(warning.msg), /serves nothing over HTTP.*"apps": \[/, "no apps: said so");
      node.signal("SIGTERM");
      assert.equal(await node.exited, 0);
      assert.ok(node.find(stopped), '"Node stopped" logged');
    } finally {
      await node.stop();
    }
  });

  it("--help prints the usage and exits 0", async () => {
    const result = await runScript(entry, ["--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /--config FILE/);
  });

  const bad: [string, string[], RegExp][] = [
    ["an unknown flag", ["--bogus"], /CLI_ERR_BAD_FLAG/],
    ["no --config", ["start"], /--config FILE is required.*CLI_ERR_BAD_FLAG/],
    ["a flag without its value", ["--config"], /CLI_ERR_BAD_FLAG/],
    [
      "a port that is no number",
      ["--config", "x.json", "--http-port", "80a"],
      /--http-port "80a".*CLI_ERR_BAD_FLAG/,
    ],
    ["a port out of range", ["--config", "x.json", "--receiver-port", "70000"], /CLI_ERR_BAD_FLAG/],
    ["an unknown command", ["frobnicate"], /Unknown command "frobnicate"/],
  ];
  for (const [what, args, pattern] of bad) {
    it(`exits 2 for ${what}`, async () => {
      const result = await runScript(entry, args);
      assert.equal(result.code, 2);
      assert.match(result.stderr, pattern);
    });
  }

  it("exits 2 for a missing file, naming it", async () => {
    const result = await runScript(entry, ["--config", join(dir, "absent.json")]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /absent\.json.*CONFIG_ERR_FILE_READ/);
  });

  it("exits 2 for an unimplemented Tomcat class, naming path, line and suggestions", async () => {
    const config = structuredClone(memoryCluster);
    (config.cluster.channel.interceptors[0] as { className: string }).className =
      "org.apache.catalina.tribes.group.interceptors.GzipInterceptor";
    const file = await write("gzip.json", JSON.stringify(config, null, 2));
    const result = await runScript(entry, ["--config", file]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /gzip\.json:\d+:\d+ at cluster\.channel\.interceptors\[0\]\.className/,
    );
    assert.match(result.stderr, /"MessageDispatchInterceptor".*CONFIG_ERR_CLASSNAME_UNSUPPORTED/);
  });

  it("exits 2 for a bad attribute of a plugin, naming the attribute's path", async () => {
    const config = structuredClone(memoryCluster);
    (config.cluster.channel.receiver as Record<string, unknown>).port = "4000";
    const file = await write("port.json", config);
    const result = await runScript(entry, ["--config", file]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cluster\.channel\.receiver\.port.*CONFIG_ERR_TYPE/);
  });

  it("exits 2 for a wrong-kind plugin and for a module that is not a plugin", async () => {
    const wrongKind = structuredClone(memoryCluster);
    wrongKind.cluster.channel.membership.className = "MemorySender";
    let result = await runScript(entry, ["--config", await write("kind.json", wrongKind)]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /CONFIG_ERR_PLUGIN_KIND/);
    await write("plain.ts", "export const x = 1;\n");
    const notPlugin = structuredClone(memoryCluster);
    notPlugin.cluster.channel.interceptors[0].className = "./plain.ts";
    result = await runScript(entry, ["--config", await write("plain.json", notPlugin)]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /CONFIG_ERR_PLUGIN_INVALID/);
  });

  it("exits 1 when a plugin fails to start, with the cause", async () => {
    await write(
      "failing_receiver.ts",
      `import { definePlugin } from ${JSON.stringify(pluginBase)};
export default definePlugin({ kind: "receiver", name: "receiver/failing", create: () => ({
  boundAddress: undefined, setHandler() {}, stop: () => Promise.resolve(),
  start: () => Promise.reject(new Error("port 4000 is in use")),
}) });
`,
    );
    const config = structuredClone(memoryCluster);
    config.cluster.channel.receiver.className = "./failing_receiver.ts";
    const result = await runScript(entry, ["--config", await write("fail.json", config)]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CHANNEL_ERR_PLUGIN_FAILED/);
    assert.match(result.stderr, /port 4000 is in use/);
    assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack");
  });

  it("exits 1 for an HTTP port in use, naming it with NODE_ERR_START and no stack", async () => {
    const holder = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => holder.once("listening", resolve));
    try {
      const { port } = holder.address() as AddressInfo;
      await write("app.mjs", "export default () => new Response('ok');\n");
      const config = {
        ...memoryCluster,
        http: { host: "127.0.0.1", port },
        apps: [{ path: "/", module: "./app.mjs" }],
      };
      const result = await runScript(entry, ["--config", await write("busy.json", config)]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`127\\.0\\.0\\.1:${port}.*http\\.port.*NODE_ERR_START`),
      );
      assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack");
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
