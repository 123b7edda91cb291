/**
 * The app the container images serve: a per-session visit counter that names the pod that
 * answered. Replace it with yours; its default export is the fetch handler (SPEC section 3).
 *
 * @module
 */
interface Context {
  jvmRoute: string;
  getSession(): { get(name: string): unknown; set(name: string, value: unknown): void };
}

export default function app(_request: Request, ctx: Context): Response {
  const session = ctx.getSession();
  const visits = ((session.get("visits") as number | undefined) ?? 0) + 1;
  session.set("visits", visits);
  return Response.json({ pod: ctx.jvmRoute, visits });
}
