import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolvePlugin } from "../../../src/kernel/resolve.ts";
import { builtinPlugins } from "../../../src/node/builtins.ts";

describe("ClusterSessionListener", () => {
  it("resolves by short name and Tomcat alias, so Tomcat configurations load unchanged", async () => {
    for (
      const name of [
        "ClusterSessionListener",
        "org.apache.catalina.ha.session.ClusterSessionListener",
      ]
    ) {
      const plugin = await resolvePlugin(name, "clusterListener", {
        file: "cluster.json",
        baseDir: ".",
        path: "cluster.clusterListeners[0]",
        builtins: await builtinPlugins(),
      });
      assert.equal(plugin.name, "clusterListener/cluster-session");
    }
  });
});
