/**
 * The `tls` block of a receiver or sender: `{ cert, key, ca, requireClientCert }`, PEM paths
 * resolved against the configuration file's folder and read once at start.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Components } from "../interfaces/plugin.ts";
import type { Clock } from "../interfaces/clock.ts";
import type { Logger } from "../interfaces/logger.ts";
import type { UniqueId } from "../interfaces/unique_id.ts";
import { nodeSockets } from "../runtime/node_sockets.ts";
import type { SocketProvider, TlsMaterial } from "../runtime/sockets.ts";
import { ConclaveError, describeValue, type ErrorCode } from "../errors.ts";

const KEYS = ["cert", "key", "ca", "requireClientCert"];

/** The attribute spec plugins list for `tls`. */
export const TLS_ATTRIBUTE = {
  type: "object",
  description: "TLS 1.3: `{ cert, key, ca, requireClientCert }`, PEM paths relative to the config",
} as const;

/**
 * Reads the PEM files a `tls` block names. `undefined` in, `undefined` out (plain TCP).
 * `requireClientCert` defaults to true: a cluster CA is only useful if peers must prove they hold
 * one of its certificates.
 */
export function loadTls(
  raw: unknown,
  components: Pick<Components, "baseDir" | "invalid">,
): TlsMaterial | undefined {
  if (raw === undefined || raw === null) return undefined;
  const invalid = (path: string, found: string, expected: string, code?: ErrorCode) =>
    components.invalid?.(path, found, expected, code) ??
      new ConclaveError(
        code ?? "CONFIG_ERR_TYPE",
        `Invalid ${path}: found ${found}, expected ${expected}`,
      );
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw invalid("tls", describeValue(raw), "an object { cert, key, ca, requireClientCert }");
  }
  const block = raw as Record<string, unknown>;
  const unknown = Object.keys(block).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) {
    throw invalid(
      `tls.${unknown[0]}`,
      describeValue(block[unknown[0]]),
      `one of ${KEYS.join(", ")}`,
      "CONFIG_ERR_UNKNOWN_ATTRIBUTE",
    );
  }
  const pem = (name: "cert" | "key" | "ca", marker: RegExp) => {
    const path = block[name];
    if (typeof path !== "string" || path === "") {
      throw invalid(
        `tls.${name}`,
        describeValue(path),
        "the path of a PEM file",
        path === undefined ? "CONFIG_ERR_MISSING" : "CONFIG_ERR_TYPE",
      );
    }
    let text: string;
    try {
      text = readFileSync(resolve(components.baseDir, path), "utf8");
    } catch (cause) {
      throw invalid(
        `tls.${name}`,
        `${JSON.stringify(path)} (${(cause as Error).message})`,
        "a readable PEM file",
        "CONFIG_ERR_FILE_READ",
      );
    }
    if (!marker.test(text)) {
      throw invalid(
        `tls.${name}`,
        `${JSON.stringify(path)}, which holds no ${marker.source} block`,
        "a PEM file",
      );
    }
    return text;
  };
  const requireClientCert = block.requireClientCert ?? true;
  if (typeof requireClientCert !== "boolean") {
    throw invalid("tls.requireClientCert", describeValue(requireClientCert), "true or false");
  }
  return {
    cert: pem("cert", /-----BEGIN CERTIFICATE-----/),
    key: pem("key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/),
    ca: pem("ca", /-----BEGIN CERTIFICATE-----/),
    requireClientCert,
  };
}

/** What every connection of the TCP transport needs from its slot and the kernel. */
export interface ConnectionSettings {
  /** The membership's secret: every connection then starts with the channel handshake. */
  secret: string | undefined;
  /** The local member's id, which the channel handshake proves. */
  localId: UniqueId;
  maxFrameSize: number;
  timeout: number;
  tls: TlsMaterial | undefined;
  sockets: SocketProvider;
  clock: Clock;
  logger: Logger;
}

/** Reads the settings shared by `NioReceiver` and `PooledParallelSender` from checked attributes. */
export function connectionSettings(
  init: { readonly maxFrameSize: number; readonly timeout: number; readonly tls?: unknown },
  components: Components,
): ConnectionSettings {
  return {
    secret: components.channelSecret || undefined,
    localId: components.localMember.id,
    maxFrameSize: init.maxFrameSize,
    timeout: init.timeout,
    tls: loadTls(init.tls, components),
    sockets: components.sockets ?? nodeSockets,
    clock: components.clock,
    logger: components.logger,
  };
}
