/**
 * `npm run demo`: three nodes on free ports with a session that follows a client between them;
 * a taken port of `--port-base` is a coded error without a stack; a bad flag exits 2.
 */
import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { runScript } from "../../test/helpers/runtime.ts";
import { freeDemoPorts, startDemo } from "./run.ts";

const RUN = fileURLToPath(new URL("./run.ts", import.meta.url));

async function counter(url: string, cookie?: string) {
  const response = await fetch(url, {
    headers: { accept: "application/json", ...(cookie ? { cookie } : {}) },
  });
  const body = await response.json() as { counter: number; node: string };
  return { ...body, cookie: response.headers.getSetCookie()[0]?.split(";")[0] };
}

describe("the local-cluster demo", () => {
  it("starts three nodes on ports it found free, and a session follows the client", async () => {
    // Free ports, not the documented ones: those may serve someone's demo.
    const ports = await freeDemoPorts();
    assert.equal(new Set([...ports.http, ...ports.receivers]).size, 6, "six distinct ports");
    const nodes = await startDemo(ports, "silent");
    try {
      assert.deepEqual(nodes.map((n) => n.url), ports.http.map((p) => `http://127.0.0.1:${p}`));
      const first = await counter(`${nodes[0].url}/`);
      assert.ok(first.cookie, "a session cookie");
      const second = await counter(`${nodes[2].url}/`, first.cookie);
      assert.deepEqual([second.node, second.counter], ["node3", 2]);
    } finally {
      for (const node of nodes) await node.stop();
    }
  });

  it("answers a taken port of --port-base with NODE_ERR_START naming it, without a stack", async () => {
    const holder = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => holder.once("listening", resolve));
    try {
      const { port } = holder.address() as AddressInfo;
      // The held port is the third node's receiver: base + 5.
      const result = await runScript(RUN, ["--port-base", String(port - 5)]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`Port ${port} .*\\[NODE_ERR_START\\]`));
      assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack");
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("exits 2 for a bad flag, with the usage", async () => {
    const result = await runScript(RUN, ["--port-base", "x"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--port-base N.*\[CLI_ERR_BAD_FLAG\]/);
  });
});
