/**
 * An in-memory network: many nodes in one process, no sockets.
 *
 * The memory receiver, sender and membership plugins meet here. Delivery keeps Tomcat's ack
 * semantics (written, read, processed), copies payloads as a wire would, and keeps the order of
 * messages between two nodes. Tests cut a node off with `isolate()` to play a crash or a partition.
 *
 * @module
 */
import type { Member } from "../../../src/interfaces/member.ts";
import { type ChannelMessage, SendOptions } from "../../../src/interfaces/message.ts";
import type { MessageHandler } from "../../../src/interfaces/transport.ts";
import { ConclaveError } from "../../../src/errors.ts";

/** A heartbeat listener on the network (the memory membership). */
export interface MemoryBeacon {
  /** The port of the beacon's node: an isolated node hears no heartbeats either. */
  readonly port?: number;
  heard(member: Member): void;
  left(member: Member): void;
}

const networks = new Map<string, MemoryNetwork>();

/** One in-memory network; nodes on the same network see each other. */
export class MemoryNetwork {
  readonly name: string;
  #receivers = new Map<number, MessageHandler>();
  #beacons = new Set<MemoryBeacon>();
  #links = new Map<string, Promise<void>>();
  #isolated = new Set<number>();
  /** Messages handed to a receiver, for tests. */
  delivered = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** The process-wide network of this name (created on first use). */
  static named(name: string): MemoryNetwork {
    let network = networks.get(name);
    if (!network) networks.set(name, network = new MemoryNetwork(name));
    return network;
  }

  /** Binds a receiver to `port`, or with `autoBind` to the first free of port, port+1, ... */
  bind(port: number, autoBind: number, handler: MessageHandler): number {
    const first = port === 0 ? 4000 : port;
    const tries = port === 0 ? 10_000 : Math.max(1, autoBind);
    for (let p = first; p < first + tries; p++) {
      if (!this.#receivers.has(p)) {
        this.#receivers.set(p, handler);
        return p;
      }
    }
    throw new ConclaveError(
      "NODE_ERR_START",
      `Cannot bind memory receiver: ports ${first} to ${
        first + tries - 1
      } of network "${this.name}" are in use`,
    );
  }

  unbind(port: number): void {
    this.#receivers.delete(port);
  }

  /**
   * Delivers a message from `from` to the receiver at `to.port`. Resolves when the message is
   * written (no ack), read (USE_ACK) or processed (USE_ACK|SYNCHRONIZED_ACK).
   */
  deliver(from: Member, to: Member, message: ChannelMessage): Promise<void> {
    if (
      this.#isolated.has(from.port) || this.#isolated.has(to.port) || !this.#receivers.has(to.port)
    ) {
      return Promise.reject(
        new ConclaveError("SEND_ERR_UNREACHABLE", `Cannot reach ${to.name}: no receiver answers`),
      );
    }
    const copy: ChannelMessage = { ...message, payload: message.payload.slice() };
    const key = `${from.port}>${to.port}`;
    let read!: () => void;
    const wasRead = new Promise<void>((resolve) => read = resolve);
    // One promise chain per link keeps the order of messages between two nodes.
    const processed = (this.#links.get(key) ?? Promise.resolve()).then(async () => {
      const handler = this.#receivers.get(to.port);
      read();
      if (!handler || this.#isolated.has(to.port)) {
        throw new ConclaveError("SEND_ERR_UNREACHABLE", `Cannot reach ${to.name}: connection lost`);
      }
      this.delivered++;
      try {
        await handler(copy);
      } catch (cause) {
        // The same words as the TCP transport's fail-ack: the remote code and message.
        const code = (cause as { code?: string })?.code ?? "ERROR";
        throw new ConclaveError(
          "SEND_ERR_REMOTE_PROCESSING",
          `${to.name} failed to process the message: ${code}: ${(cause as Error)?.message}`,
          { cause },
        );
      }
    });
    const link = processed.catch(() => {});
    this.#links.set(key, link);
    link.then(() => {
      if (this.#links.get(key) === link) this.#links.delete(key);
    });
    const ack = (message.options & SendOptions.USE_ACK) !== 0;
    const sync = ack && (message.options & SendOptions.SYNCHRONIZED_ACK) !== 0;
    if (sync) return processed;
    processed.catch(() => {}); // without a synchronized ack nobody hears of a processing failure
    return ack ? wasRead : Promise.resolve();
  }

  addBeacon(beacon: MemoryBeacon): void {
    this.#beacons.add(beacon);
  }

  removeBeacon(beacon: MemoryBeacon): void {
    this.#beacons.delete(beacon);
  }

  /** Tells every other beacon that `member` is alive. */
  heartbeat(member: Member, from: MemoryBeacon): void {
    if (this.#isolated.has(member.port)) return;
    for (const beacon of [...this.#beacons]) {
      if (beacon !== from && !this.#isolated.has(beacon.port ?? -1)) beacon.heard(member);
    }
  }

  /** Tells every other beacon that `member` leaves (a graceful stop). */
  leave(member: Member, from: MemoryBeacon): void {
    if (this.#isolated.has(member.port)) return;
    for (const beacon of [...this.#beacons]) if (beacon !== from) beacon.left(member);
  }

  /** Cuts the node at `port` off: its heartbeats and messages are lost both ways. */
  isolate(port: number): void {
    this.#isolated.add(port);
  }

  /** Undoes `isolate`. */
  heal(port: number): void {
    this.#isolated.delete(port);
  }
}
