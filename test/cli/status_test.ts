import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { statusCommand } from "../../src/cli/status.ts";
import { serve } from "../../src/http/serve.ts";
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
    // A port that was free a moment ago (port 1 is one fetch refuses to try).
    const probe = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => probe.once("listening", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const error = await statusCommand(["--url", `http://127.0.0.1:${port}`], () => {})
      .catch((e) => e);
    assert.ok(error instanceof ConclaveError);
    assert.equal(error.code, "STATUS_ERR_UNREACHABLE");
    assert.equal(exitCodeFor(error), 1);
    assert.match(
      error.message,
      /^Cannot read http:\/\/127\.0\.0\.1:\d+\/_conclave\/status: connection refused \(ECONNREFUSED\)/,
    );
  });

  it("says when the address answers but is not a node's", async () => {
    const server = await serve(
      "127.0.0.1",
      0,
      () => Promise.resolve(new Response("no", { status: 404 })),
    );
    try {
      const error = await statusCommand(["--url", server.url], () => {}).catch((e) => e);
      assert.equal(error.code, "STATUS_ERR_UNREACHABLE");
      assert.match(
        error.message,
        /answered HTTP 404: is http:\/\/127\.0\.0\.1:\d+ a Conclave node's address\?/,
      );
    } finally {
      await server.close();
    }
  });
});
