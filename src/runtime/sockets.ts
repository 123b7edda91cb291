/**
 * The socket contract: the only way kernel and plugins touch the network.
 *
 * One implementation exists today, over `node:net`, `node:tls` and `node:dgram`, because those do
 * everything Conclave needs on Node, Deno and Bun (Deno's native TLS server cannot require client
 * certificates, and its native UDP cannot choose the multicast interface). A native Bun or Deno
 * adapter implements this same contract; nothing above it changes.
 *
 * @module
 */

/** TLS material, already read from disk (PEM text). TLS 1.3 only. */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** The cluster CA(s) that peers' certificates must chain to. */
  ca: string;
  /** Server side: refuse clients without a certificate from `ca` (mutual TLS). */
  requireClientCert: boolean;
}

/** Who is at the other end of a TLS connection, from its verified certificate. */
export interface PeerIdentity {
  /** The certificate's subject common name. */
  commonName: string;
  /** DNS and IP subject alternative names. */
  altNames: readonly string[];
  /** SHA-256 fingerprint, `AA:BB:...`. */
  fingerprint256: string;
}

/** One connected stream socket (TCP or TLS). Events are delivered until `onClose`. */
export interface StreamSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The verified peer certificate on a TLS connection that presented one. */
  readonly peer: PeerIdentity | undefined;
  /**
   * Queues bytes; returns false once the runtime's buffer is above its high-water mark, so the
   * caller stops writing until `onDrain`. The bytes are kept either way.
   */
  write(chunk: Uint8Array, done?: (error?: Error | null) => void): boolean;
  /** Holds writes until `uncork`, so several frames leave in one system call. */
  cork(): void;
  uncork(): void;
  /** Bytes accepted by `write` and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Stops and resumes reading (inbound backpressure). */
  pause(): void;
  resume(): void;
  onData(listener: (chunk: Uint8Array) => void): void;
  onDrain(listener: () => void): void;
  /** Called once, with the error that closed it, if any. */
  onClose(listener: (error: Error | undefined) => void): void;
  /** Closes at once, dropping unsent bytes. */
  destroy(error?: Error): void;
  /** Sends what is queued, then closes. */
  end(): void;
}

/** A listening stream server. */
export interface StreamServer {
  readonly address: { host: string; port: number };
  /** Stops accepting; open connections are left to their owners. */
  close(): Promise<void>;
}

/** What `listen` takes. */
export interface ListenOptions {
  host: string;
  port: number;
  tls?: TlsMaterial;
  /**
   * TLS only: connections held at once, in their handshake or handed over (more are closed and
   * rejected with WIRE_ERR_CONNECTION_LIMIT), and ms a handshake may take.
   */
  maxTlsConnections?: number;
  tlsHandshakeTimeout?: number;
  /** A connection that failed before it was handed over (a refused TLS handshake). */
  onRejected?: (error: Error, remote: string) => void;
}

/** What `connect` takes. */
export interface ConnectOptions {
  host: string;
  port: number;
  tls?: TlsMaterial;
  /** Fails the connect (and destroys the socket) after this many ms. */
  timeoutMs: number;
}

/** A UDP socket, for membership. */
export interface DatagramSocket {
  readonly address: { host: string; port: number };
  send(bytes: Uint8Array, port: number, host: string): Promise<void>;
  onMessage(listener: (bytes: Uint8Array, from: { host: string; port: number }) => void): void;
  close(): Promise<void>;
}

/** What `bindDatagram` takes. Multicast options are applied before the promise resolves. */
export interface DatagramOptions {
  host: string;
  port: number;
  reuseAddr?: boolean;
  multicast?: {
    group: string;
    /** The interface address to join on and send from; never left to the OS default. */
    interface: string;
    ttl: number;
    loopback: boolean;
    /** Join the group to receive (false for a socket that only sends). @default true */
    join?: boolean;
  };
}

/** Stream and datagram sockets for one runtime. */
export interface SocketProvider {
  /** `node:net` or a native name, for logs. */
  readonly name: string;
  listen(
    options: ListenOptions,
    onConnection: (socket: StreamSocket) => void,
  ): Promise<StreamServer>;
  connect(options: ConnectOptions): Promise<StreamSocket>;
  bindDatagram(options: DatagramOptions): Promise<DatagramSocket>;
}
