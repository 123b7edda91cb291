import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError } from "../errors.ts";
import { builtinPlugins } from "../node/builtins.ts";
import { resolvePlugin, type ResolveSite } from "./resolve.ts";

const here = dirname(fileURLToPath(import.meta.url));
const examples = join(here, "../../examples/audit-interceptor");

const builtins = await builtinPlugins();

describe("resolvePlugin()", () => {
  let dir: string;
  const site = (path = "cluster.channel.interceptors[0]"): ResolveSite => ({
    file: "cluster.json",
    baseDir: dir,
    path,
    builtins,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "conclave-resolve-"));
    await writeFile(join(dir, "not_a_plugin.ts"), "export default { hello: 1 };\n");
    await writeFile(join(dir, "broken.ts"), "throw new Error('exploded on import');\n");
    await writeFile(
      join(dir, "named.ts"),
      `export { default as audit } from ${
        JSON.stringify(pathToFileURL(join(examples, "audit_interceptor.ts")).href)
      };\n`,
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("finds a built-in by its short name", async () => {
    const plugin = await resolvePlugin("MessageDispatchInterceptor", "interceptor", site());
    assert.equal(plugin.name, "interceptor/message-dispatch");
  });

  it("finds a built-in by Tomcat's fully qualified name", async () => {
    const plugin = await resolvePlugin(
      "org.apache.catalina.tribes.group.interceptors.MessageDispatchInterceptor",
      "interceptor",
      site(),
    );
    assert.equal(plugin.name, "interceptor/message-dispatch");
  });

  it("imports a third-party plugin by a path relative to the config file's folder", async () => {
    const plugin = await resolvePlugin("./named.ts#audit", "interceptor", site());
    assert.equal(plugin.name, "interceptor/audit");
    const byPath = await resolvePlugin(
      join(examples, "audit_interceptor.ts"),
      "interceptor",
      site(),
    );
    assert.equal(byPath.name, "interceptor/audit");
    const byUrl = await resolvePlugin(
      pathToFileURL(join(examples, "audit_interceptor.ts")).href,
      "interceptor",
      site(),
    );
    assert.equal(byUrl, byPath);
  });

  it("rejects an unimplemented Tomcat class with the closest supported names, without importing", async () => {
    await assert.rejects(
      resolvePlugin(
        "org.apache.catalina.tribes.group.interceptors.MessageDispatch16Interceptor",
        "interceptor",
        site(),
      ),
      (e: unknown) => e instanceof ConfigError && e.code === "CONFIG_ERR_CLASSNAME_UNKNOWN",
    );
    await assert.rejects(
      resolvePlugin(
        "org.apache.catalina.tribes.group.interceptors.GzipInterceptor",
        "interceptor",
        site(),
      ),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "CONFIG_ERR_CLASSNAME_UNSUPPORTED" &&
        e.path === "cluster.channel.interceptors[0].className" &&
        e.expected.includes('"MessageDispatchInterceptor"') && e.cause === undefined,
    );
  });

  it("suggests close names for a misspelt short name", async () => {
    await assert.rejects(
      resolvePlugin("MessageDispatchInterceptr", "interceptor", site()),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "CONFIG_ERR_CLASSNAME_UNKNOWN" &&
        /^(one of )?"MessageDispatchInterceptor"/.test(e.expected),
    );
  });

  it("rejects a plugin of another kind than its slot", async () => {
    await assert.rejects(
      resolvePlugin("MemoryReceiver", "membership", site("cluster.channel.membership")),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "CONFIG_ERR_PLUGIN_KIND" &&
        e.path === "cluster.channel.membership.className" && e.found.includes("receiver plugin") &&
        e.expected === "a membership plugin",
    );
  });

  it("rejects a module that exports no plugin", async () => {
    await assert.rejects(
      resolvePlugin("./not_a_plugin.ts", "interceptor", site()),
      (e: unknown) => e instanceof ConfigError && e.code === "CONFIG_ERR_PLUGIN_INVALID",
    );
  });

  it("reports a module that fails to import, with the import failure as cause", async () => {
    for (const spec of ["./broken.ts", "./missing.ts", "@acme/conclave-nothing"]) {
      await assert.rejects(
        resolvePlugin(spec, "interceptor", site()),
        (e: unknown) =>
          e instanceof ConfigError && e.code === "CONFIG_ERR_PLUGIN_IMPORT" &&
          e.cause instanceof Error &&
          e.found.includes(JSON.stringify(spec)),
      );
    }
    const error = await resolvePlugin("./broken.ts", "interceptor", site()).catch((e) => e);
    assert.match((error.cause as Error).message, /exploded on import/);
  });
});
