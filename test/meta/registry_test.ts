import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BUILTIN_PLUGINS, builtinPlugins } from "../../src/node/builtins.ts";

const plugins = join(dirname(fileURLToPath(import.meta.url)), "../../plugins");

describe("the built-in plugin registry", () => {
  const folders = readdirSync(plugins).flatMap((kind) =>
    readdirSync(join(plugins, kind)).map((name) => `${kind}/${name}`)
  );

  it("lists every folder under plugins/, and nothing else", () => {
    assert.deepEqual(Object.keys(BUILTIN_PLUGINS).sort(), folders.sort());
  });

  it("names each plugin after its folder, and gives each a kind matching the folder", async () => {
    const loaded = await builtinPlugins();
    assert.deepEqual(loaded.map((p) => p.name).sort(), folders.sort());
    for (const plugin of loaded) assert.equal(plugin.name.split("/")[0], plugin.kind);
  });

  it("has no two plugins claiming the same className", async () => {
    const names = (await builtinPlugins()).flatMap((p) => [...p.shortNames, ...p.aliases]);
    assert.equal(new Set(names).size, names.length);
  });

  it("runs the conformance suite for every built-in plugin", () => {
    for (const folder of folders) {
      assert.ok(
        existsSync(join(plugins, folder, "conformance_test.ts")),
        `${folder} has a conformance_test.ts`,
      );
    }
  });
});
