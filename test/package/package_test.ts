/**
 * The npm package as a user gets it (SPEC section 8): `npm pack` (which builds dist/ through
 * `prepack`), the tarball's file list, and a scratch project outside the repository that installs
 * the tarball with the registry's express, express-session, fastify and hono, then runs a 2-node
 * Express cluster under plain `node`, imports every subpath under Node, Deno and Bun, and runs the
 * user's `tsc --strict` on an app of each kind.
 *
 * The file list is checked on every runtime. The consumer part installs from the registry (about
 * 40 s) and drives all three runtimes itself, so it runs once, from the Node run.
 */
import assert from "node:assert/strict";
import { freePorts } from "../helpers/ports.ts";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { detectRuntime } from "../../src/runtime/detect.ts";
import { runCommand } from "../helpers/runtime.ts";
import {
  EXPRESS_NODE_MJS,
  HOST_APP_MJS,
  IMPORTS_MJS,
  TSCONFIG,
  TYPED_APPS,
} from "./consumer_files.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = (name: string) => join(root, "node_modules/.bin", name);
const SUBPATHS = [
  "conclave",
  "conclave/express",
  "conclave/hono",
  "conclave/fastify",
  "conclave/testing",
];

const onNode = detectRuntime().name === "node";
const consumerSkip = onNode
  ? false
  : "runs once, from the Node run, which drives all three runtimes";
// Deno and Bun do not print a skipped test's reason.
if (!onNode) console.log(`package_test.ts: consumer tests skipped, ${consumerSkip}`);

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

/** Packs the repository into `dir` (npm runs prepack, which builds dist/). */
async function packInto(dir: string): Promise<Packed> {
  const result = await runCommand("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: root,
  });
  assert.equal(result.code, 0, result.stderr);
  // prepack's build prints to stdout before npm's JSON.
  const packed: Packed = JSON.parse(result.stdout.slice(result.stdout.indexOf("[")))[0];
  console.log(
    `package_test.ts: ${packed.filename}: ${packed.entryCount} files, ${packed.size} bytes ` +
      `packed, ${packed.unpackedSize} unpacked`,
  );
  return packed;
}

describe("the npm package", () => {
  let scratch: string;
  let packing: Promise<Packed> | undefined;
  // Packed on first use, inside a test: Bun gives hooks 5 s whatever their options say.
  const packed = () => packing ??= packInto(scratch);

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "conclave-consumer-"));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it(
    "holds the build, the bin, LICENSE, CHANGELOG and README, and no tests, benchmarks, CI or keys",
    {
      timeout: 120_000,
    },
    async () => {
      const paths = (await packed()).files.map((f) => f.path);
      for (
        const required of [
          "LICENSE",
          "CHANGELOG.md",
          "README.md",
          "package.json",
          "bin/conclave.mjs",
        ]
      ) {
        assert.ok(paths.includes(required), `${required} is missing`);
      }
      const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
      for (const target of Object.values<Record<string, string>>(manifest.exports)) {
        if (typeof target === "string") continue;
        for (const file of [target.types, target.import]) {
          assert.ok(paths.includes(file!.replace(/^\.\//, "")), `${file} (an export) is missing`);
        }
      }
      const forbidden = paths.filter((p) =>
        /_test\.ts$/.test(p) ||
        /^(bench|scripts|examples|\.ci|certs|test\/(?!conformance\/))/.test(p) ||
        /\.(key|pem)$/.test(p) || /(^|\/)_testing\.ts$/.test(p) ||
        /^src\/testing\/(?!manual_clock)/.test(p)
      );
      assert.deepEqual(forbidden, []);
      // bin/conclave.mjs takes tsconfig.build.json as the sign of a checkout, and runs src/ there.
      assert.ok(!paths.includes("tsconfig.build.json"));
      assert.match(readFileSync(join(root, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);
    },
  );

  describe("installed in a scratch project", { skip: consumerSkip }, () => {
    before(async () => {
      const { filename } = await packed();
      await writeFile(
        join(scratch, "package.json"),
        JSON.stringify({ name: "consumer", private: true, type: "module" }),
      );
      const install = await runCommand("npm", [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        `./${filename}`,
        "express@5",
        "express-session@1",
        "fastify@5",
        "fastify-plugin@5",
        "hono@4",
        "@types/express@5",
        "@types/express-session@1",
        "@types/node@20",
      ], { cwd: scratch });
      assert.equal(install.code, 0, install.stderr);
      assert.ok(existsSync(join(scratch, "node_modules/conclave/dist/src/mod.js")));
    }, { timeout: 180_000 });

    it("imports every subpath under Node, Deno and Bun", async () => {
      await writeFile(join(scratch, "imports.mjs"), IMPORTS_MJS);
      const runs: [string, string, string[]][] = [
        ["node", process.execPath, ["imports.mjs"]],
        ["deno", bin("deno"), ["run", "-A", "imports.mjs"]],
        ["bun", bin("bun"), ["imports.mjs"]],
      ];
      for (const [name, command, args] of runs) {
        const result = await runCommand(command, args, { cwd: scratch });
        assert.equal(result.code, 0, `${name}: ${result.stderr}`);
        const counts = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
        console.log(`package_test.ts: ${name} imports ${JSON.stringify(counts)}`);
        assert.deepEqual(Object.keys(counts), SUBPATHS);
        for (const subpath of SUBPATHS) assert.ok(counts[subpath] > 0, `${name}: ${subpath}`);
      }
    });

    it("passes the user's tsc --strict (NodeNext, noUncheckedIndexedAccess, exactOptionalPropertyTypes)", async () => {
      await writeFile(join(scratch, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
      for (const [name, text] of Object.entries(TYPED_APPS)) {
        await writeFile(join(scratch, name), text);
      }
      const result = await runCommand(bin("tsc"), ["-p", ".", "--listFiles"], { cwd: scratch });
      const errors = result.stdout.split("\n").filter((l) => l.includes("error TS"));
      assert.deepEqual(errors, []);
      assert.equal(result.code, 0, result.stdout);
      // Not vacuous: the apps and Conclave's own declarations were all checked.
      const checked = result.stdout.split("\n");
      const declarations = checked.filter((l) => l.includes("node_modules/conclave/dist/"));
      for (const name of Object.keys(TYPED_APPS)) {
        assert.ok(checked.some((l) => l.endsWith(`/${name}`)), name);
      }
      console.log(
        `package_test.ts: tsc: 0 errors in ${Object.keys(TYPED_APPS).length} apps and ` +
          `${declarations.length} of conclave's .d.ts files`,
      );
      assert.ok(declarations.length > 20, `only ${declarations.length} conclave declarations`);
    });

    it("has a conclave bin that runs the compiled CLI on plain node", async () => {
      const conclave = join(scratch, "node_modules/.bin/conclave");
      const help = await runCommand(process.execPath, [conclave, "--help"], { cwd: scratch });
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^ {2}check --config FILE/m);
      const version = await runCommand(process.execPath, [conclave, "--version"], { cwd: scratch });
      assert.equal(
        version.stdout.trim(),
        JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version,
      );
      await writeFile(join(scratch, "host_app.mjs"), HOST_APP_MJS);
      await writeFile(
        join(scratch, "cluster.json"),
        JSON.stringify({
          jvmRoute: "c",
          http: { host: "127.0.0.1", port: 0 },
          apps: [{ path: "/", module: "./host_app.mjs" }],
        }),
      );
      const check = await runCommand(process.execPath, [
        conclave,
        "check",
        "--config",
        "cluster.json",
      ], {
        cwd: scratch,
      });
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stdout, /cluster\.json is ready to start/);
    });

    it("runs a 2-node Express cluster under plain node and replicates a session", async () => {
      await writeFile(join(scratch, "express_node.mjs"), EXPRESS_NODE_MJS);
      const [portA, portB] = await freePorts(2);
      const children: ChildProcess[] = [];
      try {
        const nodeA = await startExpressNode(scratch, "a", portA, portB, children);
        const nodeB = await startExpressNode(scratch, "b", portB, portA, children);
        await Promise.all([nodeA.sees("b"), nodeB.sees("a")]);
        const [a, b] = [nodeA.http, nodeB.http];
        const set = await fetch(`http://127.0.0.1:${a}/set`);
        const cookie = set.headers.get("set-cookie")?.split(";")[0];
        assert.ok(cookie, "no session cookie from a");
        const { id } = await set.json() as { id: string };
        assert.match(id, /\.a$/);
        // use_ack,sync: the write was on b before a answered.
        const got = await getJson(b, "/get", cookie);
        assert.deepEqual(got, { n: 42, node: "b" });
      } finally {
        await Promise.all(children.map(stop));
      }
    });
  });
});

/**
 * Starts `express_node.mjs` with plain node (no tsx); resolves with its HTTP port once it serves,
 * and `sees(route)`, which resolves when it prints that it sees that member.
 */
function startExpressNode(
  cwd: string,
  name: string,
  receiverPort: number,
  peerPort: number,
  children: ChildProcess[],
): Promise<{ http: number; sees(route: string): Promise<void> }> {
  const child = spawn(process.execPath, [
    "express_node.mjs",
    name,
    `${receiverPort}`,
    `${peerPort}`,
  ], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  const waiters: (() => void)[] = [];
  child.stderr!.on("data", (d) => err += d);
  child.stdout!.on("data", (d) => {
    out += d;
    for (const waiter of waiters.splice(0)) waiter();
  });
  /** Resolves when `pattern` appears in the output; fails if the node exits first. */
  const printed = <T>(pattern: RegExp, value: (m: RegExpExecArray) => T) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(out);
        if (match) resolve(value(match));
        else waiters.push(check);
      };
      child.once("exit", (code) => reject(new Error(`node ${name} exited ${code}: ${err}${out}`)));
      check();
    });
  return printed(/\{"http":(\d+)\}/, (m) => Number(m[1])).then((http) => ({
    http,
    sees: (route: string) => printed(new RegExp(`\\{"member":"${route}"\\}`), () => {}),
  }));
}

async function getJson(port: number, path: string, cookie?: string): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: cookie ? { cookie } : {},
  });
  return response.json();
}

/** Ends a child this test started, by its pid, and waits for it to go. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
