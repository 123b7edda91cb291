import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { statusCommand } from "../../src/cli/status.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { ConclaveError, exitCodeFor } from "../../src/errors.ts";
import { memoryHostConfig } from "../../src/testing/memory_config.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { startNode } from "../../src/node/node.ts";

describe("conclave status", () => {
  it("prints the node's route, members and sessions per app", async () => {
    const network = `status-${UniqueId.random().hex}`;
    const node = await startNode(
      memoryHostConfig(network, "st1", undefined, 8),
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
