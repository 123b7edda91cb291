/**
 * The fault campaign's app: `/new` starts a session, `/set?k=&v=` writes one attribute, `/end`
 * invalidates, `/dump` shows the session's attributes as this node holds them (never creating
 * one), so a checker can compare every node's copy.
 *
 * @module
 */
import type { ConclaveContext } from "../../src/http/host.ts";

export default function app(request: Request, ctx: ConclaveContext): Response {
  const url = new URL(request.url);
  if (url.pathname === "/new") {
    const created = ctx.getSession();
    created.set("by", ctx.jvmRoute);
    return Response.json({ id: created.id });
  }
  const session = ctx.getSession(false);
  if (!session) return Response.json({ found: false });
  if (url.pathname === "/set") {
    session.set(url.searchParams.get("k") ?? "k", Number(url.searchParams.get("v")));
    return Response.json({ ok: true });
  }
  if (url.pathname === "/end") {
    session.invalidate();
    return Response.json({ ended: true });
  }
  const attrs = Object.fromEntries(session.names().sort().map((n) => [n, session.get(n)]));
  return Response.json({ found: true, attrs });
}
