/**
 * The socket contract over `node:net`, `node:tls` and `node:dgram`: the one implementation used on
 * Node, Deno and Bun (see `runtime-probe.md` in the reference notes for why).
 *
 * @module
 */
import dgram from "node:dgram";
import net from "node:net";
import tls from "node:tls";
import { ConclaveError } from "../errors.ts";
import type {
  ConnectOptions,
  DatagramOptions,
  DatagramSocket,
  ListenOptions,
  PeerIdentity,
  SocketProvider,
  StreamServer,
  StreamSocket,
  TlsMaterial,
} from "./sockets.ts";

const TLS_VERSION = "TLSv1.3" as const;

/** Wraps a connected `net.Socket` or `tls.TLSSocket`. */
class NodeStreamSocket implements StreamSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly peer: PeerIdentity | undefined;
  #socket: net.Socket;
  #error: Error | undefined;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress ?? "?";
    this.remotePort = socket.remotePort ?? 0;
    this.peer = socket instanceof tls.TLSSocket ? peerIdentity(socket) : undefined;
    socket.setNoDelay(true);
    // An unhandled 'error' would crash the process: keep it for the close listener instead.
    socket.on("error", (error) => this.#error ??= error);
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  write(chunk: Uint8Array, done?: (error?: Error | null) => void): boolean {
    if (this.#socket.destroyed) {
      done?.(new Error("socket closed"));
      return false;
    }
    return this.#socket.write(chunk, done);
  }

  cork(): void {
    this.#socket.cork();
  }

  uncork(): void {
    this.#socket.uncork();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.#socket.on("data", listener);
  }

  onDrain(listener: () => void): void {
    this.#socket.on("drain", listener);
  }

  onClose(listener: (error: Error | undefined) => void): void {
    if (this.#socket.destroyed && this.#socket.closed) {
      queueMicrotask(() => listener(this.#error));
      return;
    }
    this.#socket.once("close", () => listener(this.#error));
  }

  destroy(error?: Error): void {
    if (error) this.#error ??= error;
    this.#socket.destroy();
  }

  end(): void {
    this.#socket.end();
  }
}

function peerIdentity(socket: tls.TLSSocket): PeerIdentity | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject || !socket.authorized) return undefined;
  const cn = cert.subject.CN;
  return {
    commonName: Array.isArray(cn) ? cn[0] : cn ?? "",
    altNames: (cert.subjectaltname ?? "").split(",").map((s) => s.trim().replace(/^[^:]*:/, ""))
      .filter((s) => s !== ""),
    fingerprint256: cert.fingerprint256 ?? "",
  };
}

function tlsContext(material: TlsMaterial) {
  return { cert: material.cert, key: material.key, ca: material.ca, minVersion: TLS_VERSION };
}

class NodeStreamServer implements StreamServer {
  readonly address: { host: string; port: number };
  #server: net.Server;
  constructor(server: net.Server) {
    this.#server = server;
    const bound = server.address() as net.AddressInfo;
    this.address = { host: bound.address, port: bound.port };
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

class NodeDatagramSocket implements DatagramSocket {
  readonly address: { host: string; port: number };
  #socket: dgram.Socket;
  constructor(socket: dgram.Socket) {
    this.#socket = socket;
    const bound = socket.address();
    this.address = { host: bound.address, port: bound.port };
  }
  send(bytes: Uint8Array, port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#socket.send(bytes, port, host, (error) => error ? reject(error) : resolve())
    );
  }
  onMessage(listener: (bytes: Uint8Array, from: { host: string; port: number }) => void): void {
    this.#socket.on(
      "message",
      (bytes, info) => listener(bytes, { host: info.address, port: info.port }),
    );
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

/** The `node:` socket provider. */
export const nodeSockets: SocketProvider = {
  name: "node:net",

  listen(options: ListenOptions, onConnection: (socket: StreamSocket) => void) {
    const { tls: material } = options;
    const server = material
      ? tls.createServer({
        ...tlsContext(material),
        requestCert: material.requireClientCert,
        rejectUnauthorized: material.requireClientCert,
        ...(options.tlsHandshakeTimeout ? { handshakeTimeout: options.tlsHandshakeTimeout } : {}),
      }, (socket) => onConnection(new NodeStreamSocket(socket)))
      : net.createServer((socket) => onConnection(new NodeStreamSocket(socket)));
    // TLS connections hold a descriptor from their first byte, before the receiver sees them:
    // the runtime closes those beyond the limit before their handshake.
    const limit = options.maxTlsConnections;
    if (material && limit !== undefined) {
      server.maxConnections = limit;
      server.on("drop", (data?: { remoteAddress?: string; remotePort?: number }) => {
        const error = new ConclaveError(
          "WIRE_ERR_CONNECTION_LIMIT",
          `${limit} TLS connections already held (maxConnections); a new one was closed`,
        );
        options.onRejected?.(error, `${data?.remoteAddress}:${data?.remotePort}`);
      });
    }
    server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      options.onRejected?.(error, `${socket.remoteAddress}:${socket.remotePort}`);
      socket.destroy();
    });
    return new Promise<StreamServer>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off("error", reject);
        server.on("error", () => {}); // accept errors (EMFILE) must not crash the node
        resolve(new NodeStreamServer(server));
      });
    });
  },

  connect(options: ConnectOptions) {
    const { tls: material } = options;
    return new Promise<StreamSocket>((resolve, reject) => {
      const socket: net.Socket = material
        ? tls.connect({
          ...tlsContext(material),
          host: options.host,
          port: options.port,
          rejectUnauthorized: true,
          // The CA is the cluster's own: any certificate it issued is a member. Which member
          // is checked against the certificate's identity by membership, not by host name.
          checkServerIdentity: () => undefined,
        })
        : net.connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new ConclaveError(
            "SEND_ERR_TIMEOUT",
            `Connecting to ${options.host}:${options.port} took longer than ${options.timeoutMs} ms`,
          ),
        );
      }, options.timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once("error", fail);
      socket.once(material ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket.off("error", fail);
        resolve(new NodeStreamSocket(socket));
      });
    });
  },

  bindDatagram(options: DatagramOptions) {
    const socket = dgram.createSocket({
      type: options.host.includes(":") ? "udp6" : "udp4",
      reuseAddr: options.reuseAddr ?? false,
    });
    return new Promise<DatagramSocket>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(options.port, options.host, () => {
        socket.off("error", reject);
        socket.on("error", () => {}); // a bad datagram or ICMP error must not crash the node
        try {
          const mc = options.multicast;
          if (mc) {
            // Interface and TTL before anything is sent: a default multicast send leaves through
            // the default route, not the interface the cluster was configured on.
            socket.setMulticastInterface(mc.interface);
            socket.setMulticastTTL(mc.ttl);
            socket.setMulticastLoopback(mc.loopback);
            if (mc.join !== false) socket.addMembership(mc.group, mc.interface);
          }
        } catch (error) {
          socket.close();
          reject(error);
          return;
        }
        resolve(new NodeDatagramSocket(socket));
      });
    });
  },
};
