/**
 * Two nodes in one process on the in-memory network, each with the distributable app `/`, for
 * the library-mode tests; and a small cookie-keeping HTTP client.
 *
 * @module
 */
import assert from "node:assert/strict";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { type ClusterNode, startNode } from "../../src/node/node.ts";
import { memoryChannel, seesAMember } from "../../src/testing/memory_config.ts";

/** Node `jvmRoute` on the in-memory `network`, with the app `/` and `manager` if given. */
export function libraryConfig(network: string, jvmRoute: string, manager?: object) {
  return loadConfig({
    jvmRoute,
    // The framework serves the app, not the node: `module` is never imported without host mode.
    apps: [{ path: "/", module: "./library-mode", distributable: true }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: 6, // use_ack, sync: a response waits until the other node applied it
      ...(manager ? { manager } : {}),
      channel: memoryChannel(network),
    },
  });
}

/** Starts nodes `n1` and `n2` and resolves once they see each other. */
export async function startTwoNodes(): Promise<ClusterNode[]> {
  const network = `library-${UniqueId.random().hex}`;
  // The in-memory network's timers are unref'd: hold the event loop open until the nodes meet.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const nodes: ClusterNode[] = [];
  const met: Promise<void>[] = [];
  for (const route of ["n1", "n2"]) {
    const node = await startNode(libraryConfig(network, route), { logger: silentLogger() });
    met.push(seesAMember(node));
    nodes.push(node);
  }
  await Promise.all(met).finally(() => clearInterval(keepAlive));
  return nodes;
}

/** A reply: the JSON body and the `Set-Cookie` headers. */
export interface Reply<T> {
  status: number;
  body: T;
  setCookies: string[];
}

/** GETs `url` with `cookie` (a `name=value` pair) and reads the JSON body. */
export async function get<T>(url: string, cookie?: string): Promise<Reply<T>> {
  const response = await fetch(url, { headers: cookie ? { cookie } : {} });
  const text = await response.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`GET ${url} answered ${response.status} with ${text.slice(0, 200)}`);
  }
  return { status: response.status, body, setCookies: response.headers.getSetCookie() };
}

/** The `name=value` pair of the one `Set-Cookie` header of a reply. */
export function cookieOf(reply: Reply<unknown>): string {
  assert.equal(reply.setCookies.length, 1, `one Set-Cookie header: ${reply.setCookies}`);
  return reply.setCookies[0].split(";")[0];
}
