/**
 * A reference manager for the manager conformance suite: whole sessions copied to every member
 * after each request, a full copy fetched from one member at start, ends remembered forever. It
 * shows the suite can be met by a plain implementation of the contract; DeltaManager and
 * BackupManager are the managers for real use.
 *
 * @module
 */
import { ConclaveError } from "../errors.ts";
import type { Clock } from "../interfaces/clock.ts";
import {
  isExpired,
  type Manager,
  type ManagerChannel,
  type SessionRecord,
} from "../interfaces/manager.ts";
import type { Member } from "../interfaces/member.ts";
import { SendOptions } from "../interfaces/message.ts";
import { newSessionId, parseSessionId, withRoute } from "../session/ids.ts";
import { checkSessionLimit } from "../session/limits.ts";

interface WireSession {
  id: string;
  creationTime: number;
  lastAccessedTime: number;
  maxInactiveInterval: number;
  attributes: Map<string, unknown>;
}

interface Wire {
  conclaveRef: 1;
  context: string;
  kind: "put" | "get-all" | "all" | "gone";
  sessions?: WireSession[];
  /** For "gone": the ended session's id. */
  id?: string;
}

function isWire(value: unknown, context: string): value is Wire {
  return typeof value === "object" && value !== null && (value as Wire).conclaveRef === 1 &&
    (value as Wire).context === context;
}

/** One session: plain fields and the two setters the contract asks for. */
class RefSession implements SessionRecord {
  id: string;
  readonly creationTime: number;
  lastAccessedTime: number;
  maxInactiveInterval: number;
  readonly attributes: Map<string, unknown>;
  readonly local = new Set<string>();

  constructor(s: WireSession) {
    this.id = s.id;
    this.creationTime = s.creationTime;
    this.lastAccessedTime = s.lastAccessedTime;
    this.maxInactiveInterval = s.maxInactiveInterval;
    this.attributes = new Map(s.attributes);
  }

  setLocal(name: string, local: boolean): void {
    if (local) this.local.add(name);
    else this.local.delete(name);
  }

  setMaxInactiveInterval(seconds: number): void {
    this.maxInactiveInterval = seconds;
  }

  wire(): WireSession {
    const attributes = new Map([...this.attributes].filter(([name]) => !this.local.has(name)));
    const { id, creationTime, lastAccessedTime, maxInactiveInterval } = this;
    return { id, creationTime, lastAccessedTime, maxInactiveInterval, attributes };
  }
}

export interface ReferenceManagerOptions {
  name: string;
  channel: ManagerChannel;
  clock: Clock;
  jvmRoute: string;
  sendOptions: number;
  /** ms. */
  stateTransferTimeout: number;
  /** @default -1 */
  maxActiveSessions?: number;
  /** Seconds. @default 1800 */
  maxInactiveInterval?: number;
}

export class ReferenceManager implements Manager {
  readonly name: string;
  readonly maxActiveSessions: number;
  readonly maxInactiveInterval: number;
  #options: ReferenceManagerOptions;
  /** By the id's 32 hex digits: a route change keeps the key. */
  #sessions = new Map<string, RefSession>();
  #ended = new Set<string>();
  #started = false;
  #listening = false;
  #transfer: { resolve: () => void } | undefined;

  constructor(options: ReferenceManagerOptions) {
    this.name = options.name;
    this.maxActiveSessions = options.maxActiveSessions ?? -1;
    this.maxInactiveInterval = options.maxInactiveInterval ?? 1800;
    this.#options = options;
  }

  get sessionCount(): number {
    return [...this.sessions()].length;
  }

  now(): number {
    return this.#options.clock.now();
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { channel, clock, stateTransferTimeout } = this.#options;
    if (!this.#listening) {
      this.#listening = true;
      channel.addChannelListener({
        accept: (m) => this.#started && isWire(m, this.name),
        messageReceived: (m, from) => this.#receive(m as Wire, from),
      });
    }
    const peer = channel.getMembers()[0];
    if (!peer) return;
    const done = new Promise<void>((resolve, reject) => {
      this.#transfer = { resolve };
      clock.setTimeout(
        () =>
          reject(
            new ConclaveError(
              "NODE_ERR_START",
              `No state from ${peer.name} within ${stateTransferTimeout} ms`,
            ),
          ),
        stateTransferTimeout,
      );
    });
    await channel.send(
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

  createSession(id?: string): SessionRecord {
    checkSessionLimit(this.name, this.sessionCount, this.maxActiveSessions);
    const base = id === undefined ? undefined : parseSessionId(id)?.base;
    if (id !== undefined && (!base || this.#sessions.has(base) || this.#ended.has(base))) {
      throw new ConclaveError("SESSION_ERR_ID", `Cannot create a session with id ${id}`);
    }
    const now = this.now();
    const session = new RefSession({
      id: id ?? newSessionId(this.#options.jvmRoute),
      creationTime: now,
      lastAccessedTime: now,
      maxInactiveInterval: this.maxInactiveInterval,
      attributes: new Map(),
    });
    this.#sessions.set(parseSessionId(session.id)?.base ?? session.id, session);
    return session;
  }

  #held(id: string): RefSession | undefined {
    const base = parseSessionId(id)?.base;
    return base === undefined ? undefined : this.#sessions.get(base);
  }

  findSession(id: string): SessionRecord | undefined {
    const session = this.#held(id);
    return session && !isExpired(session, this.now()) ? session : undefined;
  }

  *sessions(): IterableIterator<SessionRecord> {
    const now = this.now();
    for (const session of this.#sessions.values()) if (!isExpired(session, now)) yield session;
  }

  access(record: SessionRecord): void {
    const session = this.#held(record.id);
    if (session) session.lastAccessedTime = this.now();
  }

  async requestCompleted(id: string): Promise<void> {
    const session = this.#held(id);
    const members = this.#options.channel.getMembers();
    if (!session || members.length === 0) return;
    await this.#options.channel.send(members, {
      conclaveRef: 1,
      context: this.name,
      kind: "put",
      sessions: [session.wire()],
    }, this.#options.sendOptions);
  }

  async invalidate(id: string): Promise<void> {
    const base = parseSessionId(id)?.base;
    if (base === undefined) return;
    this.#ended.add(base);
    if (!this.#sessions.delete(base)) return;
    const members = this.#options.channel.getMembers();
    if (members.length === 0) return;
    await this.#options.channel.send(
      members,
      { conclaveRef: 1, context: this.name, kind: "gone", id },
      this.#options.sendOptions,
    );
  }

  changeId(record: SessionRecord): SessionRecord {
    const old = this.#held(record.id);
    if (!old) throw new ConclaveError("SESSION_ERR_ID", `No session ${record.id}`);
    const moved = new RefSession({ ...old.wire(), id: newSessionId(this.#options.jvmRoute) });
    for (const name of old.local) moved.setLocal(name, true);
    for (const [name, value] of old.attributes) moved.attributes.set(name, value);
    this.#sessions.set(parseSessionId(moved.id)?.base ?? moved.id, moved);
    void this.invalidate(old.id).catch(() => {});
    return moved;
  }

  rebind(record: SessionRecord, jvmRoute: string): string {
    const session = this.#held(record.id);
    if (!session) return record.id;
    session.id = withRoute(session.id, jvmRoute);
    return session.id;
  }

  async #receive(message: Wire, from: Member): Promise<void> {
    if (message.kind === "get-all") {
      const all = {
        conclaveRef: 1,
        context: this.name,
        kind: "all",
        sessions: [...this.#sessions.values()].map((s) => s.wire()),
      };
      await this.#options.channel.send([from], all, SendOptions.USE_ACK);
      return;
    }
    if (message.kind === "gone") {
      const base = parseSessionId(message.id)?.base;
      if (base !== undefined) {
        this.#ended.add(base);
        this.#sessions.delete(base);
      }
      return;
    }
    for (const s of message.sessions ?? []) {
      const base = parseSessionId(s.id)?.base;
      if (base === undefined || this.#ended.has(base)) continue;
      const local = this.#sessions.get(base);
      const session = new RefSession(s);
      // Values kept on this node only stay, whatever the copy says.
      for (const name of local?.local ?? []) {
        session.setLocal(name, true);
        session.attributes.set(name, local?.attributes.get(name));
      }
      this.#sessions.set(base, session);
    }
    if (message.kind === "all") this.#transfer?.resolve();
  }
}
