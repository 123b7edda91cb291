/**
 * The ceiling rows of `bench/http.ts` (`--ceiling`): one process per runtime answering through
 * Conclave's own listener (`src/http/serve.ts`: `@hono/node-server` on Node, `Deno.serve`,
 * `Bun.serve`) what the app answers, with no session behind it. What a runtime's HTTP server does
 * here, on the same machine under the same wrk, bounds what Conclave can do on it.
 *
 * - `/read`: the app's `/read` answer, built the same way (`new URL`, `Response.json`).
 * - `/write`: the same answer; with a new `JSESSIONID` cookie when the request has none, so that
 *   the load has cookies to replay (as the app sets one only for a new session).
 *
 * ```sh
 * node --import tsx bench/http/hello.ts --port 3001
 * ```
 * It prints one JSON line `{"msg":"Listening",...}` once it listens on 127.0.0.1; SIGTERM closes it.
 *
 * @module
 */
import process from "node:process";
import { serve } from "../../src/http/serve.ts";

const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
let made = 0;

const server = await serve("127.0.0.1", port, (request) => {
  const url = new URL(request.url);
  const body = { node: "hello", n: 1, bytes: 1024 };
  if (url.pathname === "/read") return Promise.resolve(Response.json(body));
  if (url.pathname === "/write") {
    const response = Response.json(body);
    if (request.headers.get("cookie")) return Promise.resolve(response);
    response.headers.append("set-cookie", `JSESSIONID=hello-${++made}; Path=/; HttpOnly`);
    return Promise.resolve(response);
  }
  return Promise.resolve(new Response("Not Found", { status: 404 }));
});
console.log(JSON.stringify({ time: Date.now(), msg: "Listening", port: server.port }));
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
