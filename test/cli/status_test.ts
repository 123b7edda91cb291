import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { statusCommand } from "../../src/cli/status.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { ConclaveError, exitCodeFor } from "../../src/kernel/errors.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { startNode } from "../../src/kernel/node.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe("conclave status", () => {
  it("prints the node's route, members and sessions per app", async () => {
    const network = `status-${UniqueId.random().hex}`;
    const node = await startNode(
      loadConfig({
        jvmRoute: "st1",
        http: { host: "127.0.0.1", port: 0 },
        apps: [{ path: "/", module: "./examples/session-counter/app.ts", distributable: true }],
        cluster: {
          className: "SimpleTcpCluster",
          channel: {
            className: "GroupChannel",
            membership: { className: "MemoryMembership", network },
            receiver: { className: "MemoryReceiver", network, port: 0 },
            sender: { className: "MemorySender", network },
            interceptors: [],
          },
        },
      }, { baseDir: root }),
      { logger: silentLogger(), host: true },
    );
    try {
      await fetch(`${node.url}/`);
      const lines: string[] = [];
      assert.equal(await statusCommand(["--url", node.url as string], (l) => lines.push(l)), 0);
      assert.match(lines[0], /^st1 \((node|deno|bun) /);
      assert.ok(lines.includes("members: none"));
      assert.ok(
        lines.some((l) => /^ {2}\/ +DeltaManager, 1 session\(s\)$/.test(l)),
        lines.join("\n"),
      );
    } finally {
      await node.stop();
    }
  });

  it("fails with a coded error and exit status 1 when the node cannot be reached", async () => {
    const error = await statusCommand(["--url", "http://127.0.0.1:1"], () => {}).catch((e) => e);
    assert.ok(error instanceof ConclaveError);
    assert.equal(error.code, "STATUS_ERR_UNREACHABLE");
    assert.equal(exitCodeFor(error), 1);
  });
});
