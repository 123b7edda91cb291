/**
 * The demo app: a per-session counter, and which node served the request.
 *
 * @module
 */
import type { ConclaveContext } from "../../src/http/host.ts";

export default function app(request: Request, ctx: ConclaveContext): Response {
  const url = new URL(request.url);
  const session = ctx.getSession();
  if (!session) return new Response("no session", { status: 500 });
  if (url.pathname.endsWith("/logout")) {
    session.invalidate();
    return Response.json({ node: ctx.jvmRoute, loggedOut: true });
  }
  const n = ((session.get("n") as number | undefined) ?? 0) + 1;
  session.set("n", n);
  const members = ctx.members().map((m) => m.jvmRoute);
  if (request.headers.get("accept")?.includes("text/html")) {
    return new Response(
      `<!doctype html><title>Conclave</title><h1>Counter: ${n}</h1>` +
        `<p>Served by <b>${ctx.jvmRoute}</b>; session ${session.id}</p>` +
        `<p>Members: ${members.join(", ") || "none"}</p>`,
      { headers: { "content-type": "text/html; charset=utf-8" } },
    );
  }
  return Response.json({ node: ctx.jvmRoute, counter: n, session: session.id, members });
}
