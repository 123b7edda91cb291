/**
 * `MemorySender`: sends over the in-memory network, to each destination in parallel.
 *
 * ```json
 * { "className": "MemorySender", "network": "demo" }
 * ```
 * Not a Tomcat class.
 *
 * @module
 */
import type { Member } from "../../../src/interfaces/member.ts";
import type { ChannelMessage } from "../../../src/interfaces/message.ts";
import type { Sender } from "../../../src/interfaces/transport.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { sendToEach } from "../../../src/kernel/send_error.ts";
import { MemoryNetwork } from "../../membership/memory/network.ts";

export class MemorySender implements Sender {
  #network: MemoryNetwork;
  #started = false;

  constructor(network: MemoryNetwork) {
    this.#network = network;
  }

  start(): Promise<void> {
    this.#started = true;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#started = false;
    return Promise.resolve();
  }

  sendMessage(message: ChannelMessage, destinations: readonly Member[]): Promise<void> {
    if (!this.#started) {
      return Promise.reject(
        new ConclaveError("CHANNEL_ERR_NOT_STARTED", "Cannot send: the sender is stopped"),
      );
    }
    return sendToEach(destinations, (to) => this.#network.deliver(message.address, to, message));
  }

  heartbeat(): void {}

  memberDisappeared(_member: Member): void {}
}

export default definePlugin({
  kind: "sender",
  name: "sender/memory",
  shortNames: ["MemorySender"],
  attributes: {
    network: { type: "string", default: "default", description: "Name of the in-memory network" },
  },
  create: (init) => new MemorySender(MemoryNetwork.named(init.network)),
});
