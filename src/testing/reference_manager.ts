/**
 * A reference manager for the manager conformance suite: whole sessions copied to every member
 * after each request, and a full copy fetched from one member at start. It shows the suite can
 * be met; DeltaManager and BackupManager are the managers for real use.
 *
 * @module
 */
import type { Clock } from "../interfaces/clock.ts";
import type { Manager, ManagerChannel, SessionRecord } from "../interfaces/manager.ts";
import type { Member } from "../interfaces/member.ts";
import { SendOptions } from "../interfaces/message.ts";
import { ConclaveError } from "../errors.ts";

interface Wire {
  conclaveRef: 1;
  context: string;
  kind: "put" | "get-all" | "all";
  sessions?: {
    id: string;
    creationTime: number;
    lastAccessedTime: number;
    maxInactiveInterval: number;
    attributes: Map<string, unknown>;
  }[];
}

function isWire(value: unknown, context: string): value is Wire {
  return typeof value === "object" && value !== null && (value as Wire).conclaveRef === 1 &&
    (value as Wire).context === context;
}

export class ReferenceManager implements Manager {
  readonly name: string;
  #channel: ManagerChannel;
  #clock: Clock;
  #options: number;
  #timeout: number;
  #sessions = new Map<string, SessionRecord>();
  #started = false;
  #listening = false;
  #transfer: { resolve: () => void } | undefined;

  constructor(
    init: {
      name: string;
      channel: ManagerChannel;
      clock: Clock;
      sendOptions: number;
      stateTransferTimeout: number;
    },
  ) {
    this.name = init.name;
    this.#channel = init.channel;
    this.#clock = init.clock;
    this.#options = init.sendOptions;
    this.#timeout = init.stateTransferTimeout;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (!this.#listening) {
      this.#listening = true;
      this.#channel.addChannelListener({
        accept: (m) => this.#started && isWire(m, this.name),
        messageReceived: (m, from) => this.#receive(m as Wire, from),
      });
    }
    const peer = this.#channel.getMembers()[0];
    if (!peer) return;
    const done = new Promise<void>((resolve, reject) => {
      this.#transfer = { resolve };
      this.#clock.setTimeout(
        () =>
          reject(
            new ConclaveError(
              "NODE_ERR_START",
              `No state from ${peer.name} within ${this.#timeout} ms`,
            ),
          ),
        this.#timeout,
      );
    });
    await this.#channel.send(
      [peer],
      { conclaveRef: 1, context: this.name, kind: "get-all" },
      SendOptions.USE_ACK,
    );
    await done;
  }

  stop(): Promise<void> {
    this.#started = false;
    return Promise.resolve();
  }

  createSession(): SessionRecord {
    const id = Array.from(
      crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    const now = this.#clock.now();
    const session = {
      id,
      creationTime: now,
      lastAccessedTime: now,
      maxInactiveInterval: 1800,
      attributes: new Map(),
    };
    this.#sessions.set(id, session);
    return session;
  }

  findSession(id: string): SessionRecord | undefined {
    return this.#sessions.get(id);
  }

  async requestCompleted(id: string): Promise<void> {
    const session = this.#sessions.get(id);
    const members = this.#channel.getMembers();
    if (!session || members.length === 0) return;
    await this.#channel.send(members, {
      conclaveRef: 1,
      context: this.name,
      kind: "put",
      sessions: [session],
    }, this.#options);
  }

  async #receive(message: Wire, from: Member): Promise<void> {
    if (message.kind === "get-all") {
      const all = {
        conclaveRef: 1,
        context: this.name,
        kind: "all",
        sessions: [...this.#sessions.values()],
      };
      await this.#channel.send([from], all, SendOptions.USE_ACK);
      return;
    }
    for (const s of message.sessions ?? []) {
      this.#sessions.set(s.id, { ...s, attributes: new Map(s.attributes) });
    }
    if (message.kind === "all") this.#transfer?.resolve();
  }
}
