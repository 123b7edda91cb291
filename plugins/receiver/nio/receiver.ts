/**
 * `NioReceiver`: accepts members' connections over TCP or TLS.
 *
 * @module
 */
import { networkInterfaces } from "node:os";
import type { MessageHandler, Receiver } from "../../../src/interfaces/transport.ts";
import type { UniqueId } from "../../../src/interfaces/unique_id.ts";
import { ConclaveError, type ErrorCode } from "../../../src/errors.ts";
import { RateLimitedLog } from "../../../src/kernel/rate_limited_log.ts";
import type { ConnectionSettings } from "../../../src/kernel/tls.ts";
import type { StreamServer, StreamSocket } from "../../../src/runtime/sockets.ts";
import { ByteBudget } from "../../../src/wire/budget.ts";
import { InboundConnection } from "../../../src/wire/inbound.ts";
import {
  acceptSecure,
  type ChannelSecurity,
  channelSecurity,
  HandshakeAbandoned,
  MAX_PENDING_HANDSHAKES,
} from "../../../src/wire/secure/channel_security.ts";

/** At most one warning per code per this many ms about bad input; the rest are counted. */
const BAD_INPUT_LOG_INTERVAL = 10_000;

export interface NioReceiverOptions extends ConnectionSettings {
  address: string;
  port: number;
  autoBind: number;
  /** Connections held at once (in their handshake or open); more are closed at once. */
  maxConnections: number;
  /** Bytes held across all connections: unfinished frames and messages not yet processed. */
  maxBufferedBytes: number;
  /** ms to a connection's first complete frame, and from a frame's first bytes to its last. */
  frameTimeout: number;
}

/** Counters for the status endpoint and for tests. */
export interface ReceiverStats {
  connections: number;
  messages: number;
  /** Closed connections by error code (`WIRE_ERR_MALFORMED`, `TLS_ERR_REFUSED`, ...). */
  errors: Record<string, number>;
  /** Messages whose processing failed, by code, when the sender asked for no synchronized ack. */
  processingErrors: Record<string, number>;
  /** Connections still in their channel handshake. */
  handshaking: number;
  /** Bytes held against `maxBufferedBytes`, and connections waiting for room in it. */
  bufferedBytes: number;
  waitingForBuffer: number;
  /** Times a connection stopped reading for the budget. */
  bufferWaits: number;
}

const WILDCARDS = new Set(["0.0.0.0", "::", "*"]);

export class NioReceiver implements Receiver {
  #options: NioReceiverOptions;
  #handler: MessageHandler | undefined;
  #server: StreamServer | undefined;
  #advertised: { host: string; port: number } | undefined;
  #connections = new Set<InboundConnection>();
  #security: ChannelSecurity | undefined;
  /** Raw sockets still in their channel handshake. */
  #handshaking = new Set<StreamSocket>();
  #budget: ByteBudget;
  #badInput: RateLimitedLog;
  #unprocessed: RateLimitedLog;
  #messages = 0;
  #budgetWaits = 0;
  #lastWaitLog = -Infinity;

  constructor(options: NioReceiverOptions) {
    this.#options = options;
    this.#budget = new ByteBudget(options.maxBufferedBytes, options.maxConnections);
    this.#badInput = new RateLimitedLog(
      options.logger,
      options.clock,
      "Bad input on the receiver; connection closed",
      BAD_INPUT_LOG_INTERVAL,
    );
    this.#unprocessed = new RateLimitedLog(
      options.logger,
      options.clock,
      "Processing a message failed; the sender asked for no synchronized ack",
      BAD_INPUT_LOG_INTERVAL,
    );
  }

  get boundAddress(): { host: string; port: number } | undefined {
    return this.#advertised;
  }

  /** A snapshot of the counters. */
  stats(): ReceiverStats {
    return {
      connections: this.#connections.size,
      messages: this.#messages,
      errors: { ...this.#badInput.counts },
      processingErrors: { ...this.#unprocessed.counts },
      handshaking: this.#handshaking.size,
      bufferedBytes: this.#budget.used,
      waitingForBuffer: this.#budget.waiting,
      bufferWaits: this.#budgetWaits,
    };
  }

  setHandler(handler: MessageHandler): void {
    this.#handler = handler;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const handler = this.#handler;
    if (!handler) {
      throw new ConclaveError(
        "CHANNEL_ERR_PLUGIN_FAILED",
        "Cannot start a receiver without a handler",
      );
    }
    const { address, port, autoBind, sockets, logger, secret, localId, clock } = this.#options;
    // Before binding: a runtime whose crypto fails the self-test must not open the port.
    this.#security = secret ? channelSecurity(secret, localId, clock) : undefined;
    const host = address === "auto" ? firstExternalAddress() ?? "127.0.0.1" : address;
    const last = port === 0 ? 0 : port + Math.max(1, autoBind) - 1;
    let lastError: unknown;
    for (let p = port; p <= last; p++) {
      try {
        this.#server = await sockets.listen({
          host: WILDCARDS.has(host) ? (host === "::" ? "::" : "0.0.0.0") : host,
          port: p,
          tls: this.#options.tls,
          maxTlsConnections: this.#options.maxConnections,
          tlsHandshakeTimeout: this.#options.frameTimeout,
          onRejected: (error, remote) => this.#rejected(error, remote),
        }, (socket) => this.#accept(socket, handler));
        break;
      } catch (error) {
        lastError = error;
        if ((error as { code?: string }).code !== "EADDRINUSE") break;
      }
    }
    if (!this.#server) {
      const ports = last > port ? `any port from ${port} to ${last}` : `port ${port}`;
      throw new ConclaveError(
        "NODE_ERR_START",
        `Cannot bind the receiver to ${host}, ${ports}: ${(lastError as Error)?.message}`,
        { cause: lastError },
      );
    }
    const bound = this.#server.address;
    const advertisedHost = WILDCARDS.has(host) ? firstExternalAddress() ?? "127.0.0.1" : host;
    this.#advertised = { host: advertisedHost, port: bound.port };
    logger.info({
      address: bound.host,
      port: bound.port,
      advertised: advertisedHost,
      tls: this.#options.tls !== undefined,
      sockets: sockets.name,
    }, "Receiver listening");
    if (this.#security) {
      logger.info("Receiver requires the channel handshake: only holders of the secret get in");
    } else if (!this.#options.tls) {
      logger.info(
        "Receiver without TLS or secret: anyone who can reach this port can send messages to the node",
      );
    }
  }

  get authenticatesPeers(): boolean {
    return this.#options.tls?.requireClientCert === true;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.#advertised = undefined;
    const closing = server.close();
    for (const socket of [...this.#handshaking]) socket.destroy();
    for (const connection of [...this.#connections]) connection.close();
    await closing;
  }

  #accept(socket: StreamSocket, handler: MessageHandler): void {
    if (!this.#server) {
      socket.destroy();
      return;
    }
    const { maxConnections } = this.#options;
    if (this.#handshaking.size + this.#connections.size >= maxConnections) {
      socket.destroy();
      this.#refused(
        new ConclaveError(
          "WIRE_ERR_CONNECTION_LIMIT",
          `${maxConnections} connections already held (maxConnections); a new one was closed`,
        ),
        socket,
      );
      return;
    }
    const security = this.#security;
    if (!security) {
      this.#open(socket, handler, undefined);
      return;
    }
    if (this.#handshaking.size >= MAX_PENDING_HANDSHAKES) {
      socket.destroy();
      this.#refused(
        new ConclaveError(
          "CHANNEL_ERR_HANDSHAKE_LIMIT",
          `${MAX_PENDING_HANDSHAKES} connections already in their handshake; a new one was closed`,
        ),
        socket,
      );
      return;
    }
    this.#handshaking.add(socket);
    acceptSecure(socket, security).then(
      (secure) => {
        this.#handshaking.delete(socket);
        if (!this.#server) secure.destroy();
        else this.#open(secure, handler, secure.peerId);
      },
      (error: Error) => {
        this.#handshaking.delete(socket);
        this.#refused(error, socket);
      },
    );
  }

  /** Counts a refused connection; logs at warn at most once per interval per code. */
  #refused(error: Error, socket: StreamSocket): void {
    this.#badInput.report(
      error,
      { remote: `${socket.remoteAddress}:${socket.remotePort}` },
      error instanceof HandshakeAbandoned,
    );
  }

  #open(socket: StreamSocket, handler: MessageHandler, peerId: UniqueId | undefined): void {
    const { clock, logger, maxFrameSize, timeout, frameTimeout } = this.#options;
    const connection: InboundConnection = new InboundConnection(socket, {
      peerId,
      clock,
      logger,
      maxFrameSize,
      timeout,
      frameTimeout,
      budget: this.#budget,
      handler,
      onError: (error, fields) => this.#badInput.report(error, fields),
      onMessage: () => this.#messages++,
      onWait: () => this.#waited(),
      onProcessingError: (error, fields) => this.#unprocessed.report(error, fields),
      onClose: (c) => this.#connections.delete(c),
    });
    this.#connections.add(connection);
    logger.debug(
      { remote: connection.remote, peer: socket.peer?.commonName },
      "Connection accepted",
    );
  }

  /** Counts a wait for the byte budget; says so at info at most once per interval. */
  #waited(): void {
    this.#budgetWaits++;
    const now = this.#options.clock.now();
    if (now - this.#lastWaitLog < BAD_INPUT_LOG_INTERVAL) return;
    this.#lastWaitLog = now;
    this.#options.logger.info(
      { bufferedBytes: this.#budget.used, waiting: this.#budget.waiting, waits: this.#budgetWaits },
      "maxBufferedBytes reached: connections beyond their reserve stop being read until others release bytes",
    );
  }

  #rejected(error: Error, remote: string): void {
    if (error instanceof ConclaveError) { // the socket layer's own (WIRE_ERR_CONNECTION_LIMIT)
      this.#badInput.report(error, { remote });
      return;
    }
    // Plain bytes on a TLS port fail the handshake as a malformed record, not as a refusal.
    const code: ErrorCode =
      /wrong.version|http.request|unknown.protocol|record|packet.length/i.test(
          `${(error as { code?: string }).code} ${error.message}`,
        )
        ? "WIRE_ERR_TLS_EXPECTED"
        : "TLS_ERR_REFUSED";
    this.#badInput.report(new ConclaveError(code, error.message, { cause: error }), { remote });
  }
}

/** Tomcat's `address="auto"`: the first non-loopback IPv4 address of this host. */
function firstExternalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === "IPv4" && !info.internal) return info.address;
    }
  }
  return undefined;
}
