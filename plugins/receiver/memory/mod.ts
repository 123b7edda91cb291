/**
 * `MemoryReceiver`: a receiver on the in-memory network, with NioReceiver's `port` and `autoBind`.
 *
 * ```json
 * { "className": "MemoryReceiver", "network": "demo", "port": 4000, "autoBind": 100 }
 * ```
 * Port 0 takes any free port. Not a Tomcat class.
 *
 * @module
 */
import type { MessageHandler, Receiver } from "../../../src/interfaces/transport.ts";
import { ConclaveError } from "../../../src/errors.ts";
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { MemoryNetwork } from "../../membership/memory/network.ts";

export class MemoryReceiver implements Receiver {
  #network: MemoryNetwork;
  #port: number;
  #autoBind: number;
  #handler: MessageHandler | undefined;
  #bound: number | undefined;

  constructor(network: MemoryNetwork, port: number, autoBind: number) {
    this.#network = network;
    this.#port = port;
    this.#autoBind = autoBind;
  }

  get boundAddress(): { host: string; port: number } | undefined {
    return this.#bound === undefined ? undefined : { host: "memory", port: this.#bound };
  }

  setHandler(handler: MessageHandler): void {
    this.#handler = handler;
  }

  start(): Promise<void> {
    if (this.#bound !== undefined) return Promise.resolve();
    const handler = this.#handler;
    if (!handler) {
      return Promise.reject(
        new ConclaveError("CHANNEL_ERR_PLUGIN_FAILED", "Cannot start a receiver without a handler"),
      );
    }
    this.#bound = this.#network.bind(this.#port, this.#autoBind, handler);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.#bound !== undefined) this.#network.unbind(this.#bound);
    this.#bound = undefined;
    return Promise.resolve();
  }
}

export default definePlugin({
  kind: "receiver",
  name: "receiver/memory",
  shortNames: ["MemoryReceiver"],
  attributes: {
    network: { type: "string", default: "default", description: "Name of the in-memory network" },
    port: {
      type: "integer",
      default: 4000,
      min: 0,
      max: 65535,
      description: "First port to try; 0 for any",
    },
    autoBind: {
      type: "integer",
      default: 100,
      min: 1,
      description: "How many ports to try from `port`",
    },
  },
  create: (init) =>
    new MemoryReceiver(
      MemoryNetwork.named(init.network),
      init.port,
      init.autoBind,
    ),
});
