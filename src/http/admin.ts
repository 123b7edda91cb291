/**
 * The admin surface (SPEC section 5) on the app port: the node's status as JSON and its metrics
 * as Prometheus text, for loopback clients.
 *
 * @module
 */
import type { Manager } from "../interfaces/manager.ts";
import type { ClusterNode } from "../kernel/node.ts";
import { runtimeLabel } from "../runtime/detect.ts";
import type { RequestInfo } from "./serve.ts";

/** One served app, as the admin surface reports it. */
export interface AdminApp {
  readonly path: string;
  readonly manager: Manager;
}

export function isLoopback(address: string): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1" ||
    address.startsWith("127.");
}

/** Answers a request under `/_conclave/`. */
export function adminResponse(
  node: ClusterNode,
  apps: readonly AdminApp[],
  url: URL,
  info: RequestInfo,
): Response {
  if (!isLoopback(info.remoteAddress)) return new Response("Forbidden", { status: 403 });
  if (url.pathname === "/_conclave/status") return Response.json(status(node, apps));
  if (url.pathname === "/_conclave/metrics") {
    return new Response(metrics(node, apps), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  }
  return new Response("Not Found", { status: 404 });
}

function status(node: ClusterNode, apps: readonly AdminApp[]) {
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
function metrics(node: ClusterNode, apps: readonly AdminApp[]): string {
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
  return `${lines.join("\n")}\n`;
}
