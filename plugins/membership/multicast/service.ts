/**
 * `McastService`: heartbeats as UDP multicast datagrams.
 *
 * Safe by default: bound to 127.0.0.1 unless `bind` names another interface, the outgoing
 * interface always set explicitly, TTL 1, so a default install never sends a datagram through a
 * real network.
 *
 * @module
 */
import { ConclaveError } from "../../../src/errors.ts";
import type { MembershipKindValue } from "../../../src/membership/codec.ts";
import { HeartbeatMembership, type HeartbeatOptions } from "../../../src/membership/heartbeat.ts";
import type { DatagramSocket, SocketProvider } from "../../../src/runtime/sockets.ts";

export interface McastServiceOptions extends HeartbeatOptions {
  /** The multicast group. */
  address: string;
  port: number;
  /** The interface address to join on and send from. */
  bind: string;
  ttl: number;
  localLoopbackDisabled: boolean;
  sockets: SocketProvider;
}

export class McastService extends HeartbeatMembership {
  #options: McastServiceOptions;
  #rx: DatagramSocket | undefined;
  #tx: DatagramSocket | undefined;
  #failures = 0;

  constructor(options: McastServiceOptions) {
    super(options);
    this.#options = options;
  }

  /** The interface, group and TTL in use, for logs and status. */
  describe(): { interface: string; group: string; port: number; ttl: number } {
    const { bind, address, port, ttl } = this.#options;
    return { interface: bind, group: address, port, ttl };
  }

  protected async openReceiver(): Promise<void> {
    const { address, port, bind, ttl, localLoopbackDisabled, sockets, logger } = this.#options;
    try {
      // Bound to the group address, the socket gets only this group's datagrams on the port.
      this.#rx = await sockets.bindDatagram({
        host: address,
        port,
        reuseAddr: true,
        multicast: { group: address, interface: bind, ttl, loopback: !localLoopbackDisabled },
      });
    } catch (cause) {
      throw new ConclaveError(
        "MEMBERSHIP_ERR_UNSUPPORTED",
        `Cannot join multicast group ${address}:${port} on interface ${bind}: ${
          (cause as Error).message
        }`,
        { cause },
      );
    }
    this.#rx.onMessage((bytes, from) => this.received(bytes, `${from.host}:${from.port}`));
    logger.info(this.describe(), "Multicast membership listening");
  }

  protected async closeReceiver(): Promise<void> {
    await this.#rx?.close();
    this.#rx = undefined;
  }

  protected async openSender(): Promise<void> {
    const { address, bind, ttl, localLoopbackDisabled, sockets, logger } = this.#options;
    try {
      this.#tx = await sockets.bindDatagram({
        host: bind,
        port: 0,
        multicast: {
          group: address,
          interface: bind,
          ttl,
          loopback: !localLoopbackDisabled,
          join: false,
        },
      });
    } catch (cause) {
      throw new ConclaveError(
        "MEMBERSHIP_ERR_UNSUPPORTED",
        `Cannot send multicast from interface ${bind}: ${(cause as Error).message}`,
        { cause },
      );
    }
    logger.info(this.describe(), "Multicast membership sending");
  }

  protected async closeSender(): Promise<void> {
    await this.#tx?.close();
    this.#tx = undefined;
  }

  protected async broadcast(bytes: Uint8Array, _kind: MembershipKindValue): Promise<void> {
    const tx = this.#tx;
    if (!tx) return;
    try {
      await tx.send(bytes, this.#options.port, this.#options.address);
      if (this.#failures > 0) {
        this.#options.logger.info({ after: this.#failures }, "Multicast heartbeats sent again");
      }
      this.#failures = 0;
    } catch (error) {
      if (this.#failures++ === 0) {
        this.#options.logger.warn(
          { err: (error as Error).message, ...this.describe() },
          "Multicast heartbeat failed; retrying every heartbeat",
        );
      }
      throw error;
    }
  }
}
