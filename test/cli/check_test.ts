/**
 * The command line's own surface (SPEC section 1): usage, `--help`, `--version`, and `check`,
 * whose every failure `start` meets too, before the node builds or joins anything.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CHECK_USAGE, START_USAGE } from "../../src/cli/args.ts";
import { CERTS_USAGE } from "../../src/cli/certs.ts";
import { CONVERT_USAGE } from "../../src/cli/convert.ts";
import { COMMANDS } from "../../src/cli/main.ts";
import { STATUS_USAGE } from "../../src/cli/status.ts";
import { USAGE } from "../../src/cli/usage.ts";
import { detectRuntime } from "../../src/runtime/detect.ts";
import { runCommand, type RunResult, runScript } from "../helpers/runtime.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const entry = join(root, "node.ts");
const bin = join(root, "bin/conclave.mjs");

/** A node alone: no cluster, so no channel; only the app and its HTTP port. */
const alone = (extra: Record<string, unknown> = {}) => ({
  jvmRoute: "chk",
  http: { host: "127.0.0.1", port: 0 },
  apps: [{ path: "/", module: "./app.ts", distributable: false }],
  ...extra,
});

const memoryChannel = {
  className: "GroupChannel",
  membership: { className: "MemoryMembership" },
  receiver: { className: "MemoryReceiver" },
  sender: { className: "MemorySender" },
  interceptors: [{ className: "MessageDispatchInterceptor" }],
};

const APP =
  `export default (request: Request): Response => new Response(new URL(request.url).pathname);\n`;

/** Runs the `conclave` bin itself (not node.ts) on this runtime, as a user's shell would. */
function runBin(args: string[], cwd: string): Promise<RunResult> {
  const prefix = detectRuntime().name === "deno" ? ["run", "-A", bin] : [bin];
  return runCommand(process.execPath, [...prefix, ...args], { cwd });
}

describe("conclave's usage, --help and --version", () => {
  it("bare conclave prints the usage on stderr and exits 2", async () => {
    const result = await runScript(entry, []);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^Usage: conclave <command>/);
    assert.equal(result.stdout, "");
  });

  it("--help prints every command on stdout and exits 0", async () => {
    const result = await runScript(entry, ["--help"]);
    assert.equal(result.code, 0);
    for (const command of COMMANDS) {
      assert.match(result.stdout, new RegExp(`^ {2}${command} `, "m"), command);
    }
  });

  it("the usage names every flag each command's own help names", () => {
    const own: Record<string, string> = {
      start: START_USAGE,
      check: CHECK_USAGE,
      certs: CERTS_USAGE,
      status: STATUS_USAGE,
      convert: CONVERT_USAGE,
    };
    assert.deepEqual(Object.keys(own).sort(), [...COMMANDS].sort());
    for (const [command, usage] of Object.entries(own)) {
      for (const flag of new Set(usage.match(/--[a-z][a-z-]*/g) ?? [])) {
        assert.ok(USAGE.includes(flag), `${command}'s ${flag} is missing from conclave --help`);
      }
    }
  });

  it("--version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const result = await runScript(entry, ["--version"]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), version);
  });
});

describe("conclave check, and start's checks before it joins", () => {
  let dir: string;
  let holder: net.Server;
  let taken: number;
  const write = async (name: string, content: unknown) => {
    const file = join(dir, name);
    await writeFile(file, typeof content === "string" ? content : JSON.stringify(content, null, 2));
    return file;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "conclave-check-"));
    await write("app.ts", APP);
    holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    taken = (holder.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  /** `check` and `start` both fail with `code` and `pattern`; `start` before logging anything. */
  async function bothFail(file: string, code: number, pattern: RegExp): Promise<void> {
    const check = await runScript(entry, ["check", "--config", file]);
    assert.equal(check.code, code, check.stderr);
    assert.match(check.stderr, pattern);
    const start = await runScript(entry, ["start", "--config", file]);
    assert.equal(start.code, code, start.stderr);
    assert.match(start.stderr, pattern);
    // No log line at all: the node was never built, so it never joined a cluster.
    assert.equal(start.stdout, "");
  }

  it("exits 0 for a good configuration, importing its app, and says so", async () => {
    const file = await write("good.json", alone());
    const result = await runScript(entry, ["check", "--config", file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /good\.json is ready to start: jvmRoute chk, apps \//);
  });

  it("exits 2 for a manager className that no distributable app uses", async () => {
    const file = await write(
      "manager.json",
      alone({
        cluster: {
          className: "SimpleTcpCluster",
          manager: { className: "org.apache.catalina.ha.session.NoSuchManager" },
          channel: memoryChannel,
        },
      }),
    );
    await bothFail(
      file,
      2,
      /manager\.json:\d+:\d+ at cluster\.manager\.className: .*NoSuchManager.*"DeltaManager".*\[CONFIG_ERR_CLASSNAME_UNKNOWN\]/,
    );
  });

  it("exits 2 for an unused valve's bad attribute", async () => {
    const file = await write(
      "valve.json",
      alone({
        cluster: {
          className: "SimpleTcpCluster",
          channel: memoryChannel,
          valves: [{ className: "ReplicationValve", filter: 7 }],
        },
      }),
    );
    await bothFail(file, 2, /cluster\.valves\[0\]\.filter.*\[CONFIG_ERR_TYPE\]/);
  });

  it("exits 2 for an app module that is missing, naming apps[i].module", async () => {
    const file = await write("missing.json", alone({ apps: [{ path: "/", module: "./nope.ts" }] }));
    await bothFail(
      file,
      2,
      /at apps\[0\]\.module: found "\.\/nope\.ts", which cannot be imported.*\[APP_ERR_LOAD\]/,
    );
  });

  it("exits 2 for an app module that throws on import, with its message", async () => {
    await write(
      "throws.ts",
      'throw new Error("no database");\nexport default () => new Response("");\n',
    );
    const file = await write(
      "throws.json",
      alone({ apps: [{ path: "/", module: "./app.ts" }, { path: "/x", module: "./throws.ts" }] }),
    );
    await bothFail(file, 2, /at apps\[1\]\.module: .*no database.*\[APP_ERR_LOAD\]/);
  });

  it("exits 2 for an app module without a handler", async () => {
    await write("nohandler.ts", "export const x = 1;\n");
    const file = await write(
      "nohandler.json",
      alone({ apps: [{ path: "/", module: "./nohandler.ts" }] }),
    );
    await bothFail(
      file,
      2,
      /at apps\[0\]\.module: found "\.\/nohandler\.ts", which exports no handler/,
    );
  });

  it("exits 2 for a TLS file that cannot be read, naming its path", async () => {
    const file = await write(
      "tls.json",
      alone({
        cluster: {
          className: "SimpleTcpCluster",
          channel: {
            ...memoryChannel,
            receiver: {
              className: "NioReceiver",
              address: "127.0.0.1",
              port: 0,
              tls: { cert: "absent.pem", key: "absent.key", ca: "absent-ca.pem" },
            },
          },
        },
      }),
    );
    const result = await runScript(entry, ["check", "--config", file]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /cluster\.channel\.receiver\.tls\.cert.*absent\.pem/);
  });

  it("exits 1 for an HTTP port in use, naming it, with NODE_ERR_START", async () => {
    const file = await write("http.json", alone({ http: { host: "127.0.0.1", port: taken } }));
    await bothFail(
      file,
      1,
      new RegExp(
        `Cannot serve HTTP on 127\\.0\\.0\\.1:${taken} \\(http\\.port in .*\\[NODE_ERR_START\\]`,
      ),
    );
  });

  it("exits 1 for a receiver port in use with autoBind 1, naming it", async () => {
    const file = await write(
      "receiver.json",
      alone({
        cluster: {
          className: "SimpleTcpCluster",
          channel: {
            ...memoryChannel,
            receiver: { className: "NioReceiver", address: "127.0.0.1", port: taken, autoBind: 1 },
          },
        },
      }),
    );
    await bothFail(
      file,
      1,
      new RegExp(
        `Cannot bind the receiver to 127\\.0\\.0\\.1, port ${taken} .*\\[NODE_ERR_START\\]`,
      ),
    );
  });

  it("warns about an attribute typo with the name it probably meant", async () => {
    const file = await write(
      "typo.json",
      alone({
        cluster: {
          className: "SimpleTcpCluster",
          channel: { ...memoryChannel, receiver: { className: "MemoryReceiver", prot: 1 } },
        },
      }),
    );
    const result = await runScript(entry, ["check", "--config", file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /cluster\.channel\.receiver: prot; .*did you mean "port" for "prot"\?/,
    );
  });

  it("the bin loads a TypeScript app from a folder without package.json", async () => {
    const app = join(dir, "plain");
    await mkdir(app);
    await writeFile(join(app, "helper.ts"), "export const greeting: string = 'hi';\n");
    await writeFile(
      join(app, "app.ts"),
      'import { greeting } from "./helper.ts";\nexport default (): Response => new Response(greeting);\n',
    );
    await writeFile(join(app, "cluster.json"), JSON.stringify(alone()));
    const result = await runBin(["check", "--config", "cluster.json"], app);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /cluster\.json is ready to start/);
  });
});
