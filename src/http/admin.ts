/**
 * The admin surface (SPEC section 5): the probes `/_conclave/live` and `/_conclave/ready` for
 * any client, and for operators the node's status as JSON and its metrics as Prometheus text,
 * either on the `admin` listener (with an optional bearer token) or on the app port to a local
 * client that no proxy stands in for.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { Manager } from "../interfaces/manager.ts";
import type { ClusterNode } from "../kernel/node.ts";
import { runtimeLabel } from "../runtime/detect.ts";
import type { RequestInfo } from "./serve.ts";

/** Where admin paths start. */
export const ADMIN_PREFIX = "/_conclave/";

/** One served app, as the admin surface reports it. */
export interface AdminApp {
  readonly path: string;
  readonly manager: Manager;
}

/** What the host tells the admin surface of itself. */
export interface AdminContext {
  readonly node: ClusterNode;
  readonly apps: readonly AdminApp[];
  /** `ready` while the node serves; `draining` once it stops. */
  readonly state: "ready" | "draining";
}

/** Headers a reverse proxy adds: a request carrying one was not made by a local operator. */
const PROXY_HEADERS = ["forwarded", "x-forwarded-for", "x-real-ip", "via"];

export function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/** Answers the two probes, or undefined for any other path. */
export function probeResponse(url: URL, state: AdminContext["state"]): Response | undefined {
  if (url.pathname === `${ADMIN_PREFIX}live`) return text("live", 200);
  if (url.pathname === `${ADMIN_PREFIX}ready`) {
    return state === "ready" ? text("ready", 200) : text(state, 503);
  }
  return undefined;
}

function text(body: string, status: number): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain", "cache-control": "no-store" },
  });
}

/**
 * Why a request for an operator path on the app port is refused, or undefined when it comes from
 * a local operator: a loopback client, no proxy header, and a target sent exactly as the path
 * (no dot segments, no percent-encoding), so that a reverse proxy on the same host never turns
 * a visitor into an operator, whatever its own rules.
 */
export function localOperatorRefusal(
  request: Request,
  url: URL,
  info: RequestInfo,
): string | undefined {
  if (!isLoopback(info.remoteAddress)) return "not a loopback client";
  const proxied = PROXY_HEADERS.find((h) => request.headers.has(h));
  if (proxied) return `a proxy header (${proxied})`;
  const raw = info.rawTarget;
  if (raw !== undefined) {
    const path = raw.split("?")[0];
    if (path !== url.pathname || path.includes("%") || /\/\.\.?(\/|$)|\/\//.test(path)) {
      return "a target that is not the exact path";
    }
  }
  return undefined;
}

/** True when `header` is `Bearer <token>` (compared in constant time). */
export function bearerMatches(header: string | null, token: string): boolean {
  const given = new TextEncoder().encode(header ?? "");
  const wanted = new TextEncoder().encode(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Answers an operator path: status or metrics. */
export function operatorResponse(context: AdminContext, url: URL): Response {
  if (url.pathname === `${ADMIN_PREFIX}status`) return Response.json(status(context));
  if (url.pathname === `${ADMIN_PREFIX}metrics`) {
    return new Response(metrics(context), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  }
  return new Response("Not Found", { status: 404 });
}

function status({ node, apps }: AdminContext) {
  return {
    jvmRoute: node.jvmRoute,
    uniqueId: node.uniqueId.hex,
    runtime: runtimeLabel(),
    members: node.members().map((m) => ({
      name: m.name,
      host: m.host,
      port: m.port,
      jvmRoute: m.jvmRoute,
      ready: m.ready,
    })),
    apps: apps.map((a) => ({
      path: a.path,
      manager: a.manager.constructor.name,
      sessions: a.manager.sessionCount,
    })),
  };
}

/** Prometheus text exposition of the node's counters. */
function metrics({ node, apps }: AdminContext): string {
  const s = node.channel.stats;
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const route = `jvmRoute="${node.jvmRoute}"`;
  const one = (value: number): [string, number][] => [[`{${route}}`, value]];
  const perApp = (value: (m: Manager) => number): [string, number][] =>
    apps.map((a) => [`{${route},app="${a.path}"}`, value(a.manager)]);
  metric("conclave_members", "gauge", "Other live members.", one(node.members().length));
  metric("conclave_sessions", "gauge", "Sessions held, per app.", perApp((m) => m.sessionCount));
  metric("conclave_messages_sent_total", "counter", "Channel messages sent.", one(s.messagesSent));
  metric(
    "conclave_messages_received_total",
    "counter",
    "Channel messages received.",
    one(s.messagesReceived),
  );
  metric(
    "conclave_bytes_sent_total",
    "counter",
    "Payload bytes sent (times destinations).",
    one(s.bytesSent),
  );
  metric(
    "conclave_bytes_received_total",
    "counter",
    "Payload bytes received.",
    one(s.bytesReceived),
  );
  metric(
    "conclave_send_failures_total",
    "counter",
    "Sends that missed a member.",
    one(s.sendFailures),
  );
  metric(
    "conclave_replication_lag_ms",
    "gauge",
    "Mean and max time from send to receive of channel messages.",
    [
      [`{${route},stat="mean"}`, s.lagSamples ? s.lagMsTotal / s.lagSamples : 0],
      [`{${route},stat="max"}`, s.lagMsMax],
    ],
  );
  metric(
    "conclave_state_transfer_ms",
    "gauge",
    "Duration of the last state transfer into this node, per app.",
    perApp((m) => m.stateTransferMs ?? 0),
  );
  const stat = (key: string) => perApp((m) => m.stats?.[key] ?? 0);
  metric(
    "conclave_conflicts_total",
    "counter",
    "Concurrent attribute versions resolved, per app.",
    stat("conflicts"),
  );
  metric(
    "conclave_anti_entropy_rounds_total",
    "counter",
    "Anti-entropy rounds this node started that were answered, per app.",
    stat("antiEntropyRounds"),
  );
  metric(
    "conclave_anti_entropy_repaired_total",
    "counter",
    "Sessions and tombstones anti-entropy changed on this node, per app.",
    stat("antiEntropyRepaired"),
  );
  metric(
    "conclave_anti_entropy_bytes_total",
    "counter",
    "Estimated bytes of anti-entropy messages sent, per app.",
    stat("antiEntropyBytes"),
  );
  return `${lines.join("\n")}\n`;
}
