/**
 * `DnsMembershipService`: static membership whose list is the answer of a DNS name, looked up
 * again every `refresh` ms. DNS only says where to send heartbeats: a member is added when its
 * (signed) heartbeat arrives and dropped when heartbeats stop, never because its address left
 * the answer, so a stale or flapping DNS answer costs nothing but a few unanswered sends.
 *
 * @module
 */
import type { Cancel } from "../../../src/interfaces/clock.ts";
import type { ConclaveError } from "../../../src/errors.ts";
import { MembershipKind } from "../../../src/membership/codec.ts";
import type { HeartbeatOptions } from "../../../src/membership/heartbeat.ts";
import { sameHost, type StaticEntry, StaticMembershipService } from "../static/service.ts";
import type { DnsLookup } from "./lookup.ts";

export interface DnsMembershipOptions extends HeartbeatOptions {
  dnsName: string;
  /** SRV records give address and port; otherwise A and AAAA records at `port`. */
  srv: boolean;
  /** The members' receiver port for A/AAAA answers; 0 means this node's own receiver port. */
  port: number;
  /** Period of the lookups, ms. */
  refresh: number;
  /** Addresses taken from one answer at most. */
  maxAddresses: number;
  lookup: DnsLookup;
}

/** What the last lookups gave, for logs, status and tests. */
export interface DnsState {
  dnsName: string;
  servers: string;
  /** `host:port` of each address in the last good answer (this node's own included). */
  addresses: string[];
  /** Lookups answered, and lookups failed in a row since the last answer. */
  lookups: number;
  failures: number;
}

export class DnsMembershipService extends StaticMembershipService {
  #dns: DnsMembershipOptions;
  #entries: StaticEntry[];
  #active = false;
  #inFlight: Promise<void> | undefined;
  #stopRefresh: Cancel | undefined;
  #lookups = 0;
  #failures = 0;
  #warnedCap = false;

  constructor(options: DnsMembershipOptions) {
    const entries: StaticEntry[] = [];
    // Static membership reads this list at every heartbeat; lookups replace its contents.
    super({ ...options, members: entries });
    this.#dns = options;
    this.#entries = entries;
  }

  describe(): DnsState {
    return {
      dnsName: this.#dns.dnsName,
      servers: this.#dns.lookup.servers,
      addresses: this.#entries.map(key),
      lookups: this.#lookups,
      failures: this.#failures,
    };
  }

  /** Resolves once the lookup in flight, if any, has been applied. */
  settled(): Promise<void> {
    return this.#inFlight ?? Promise.resolve();
  }

  /** Looks the name up now (also done every `refresh` ms once transmitting). */
  refresh(): Promise<void> {
    if (!this.#active) return Promise.resolve();
    this.#inFlight ??= this.#lookup().finally(() => this.#inFlight = undefined);
    return this.#inFlight;
  }

  async #lookup(): Promise<void> {
    const { dnsName, srv, maxAddresses, lookup, logger } = this.#dns;
    try {
      const answer = await lookup.lookup(dnsName, srv, maxAddresses);
      if (!this.#active) return;
      this.#lookups++;
      if (this.#failures > 0) logger.info({ dnsName, after: this.#failures }, "DNS answers again");
      this.#failures = 0;
      if (answer.dropped > 0 && !this.#warnedCap) {
        this.#warnedCap = true;
        logger.warn(
          { dnsName, kept: maxAddresses, dropped: answer.dropped },
          "DNS answer larger than maxAddresses; the rest are ignored",
        );
      }
      this.#replace(answer.targets.map((t) => entry(t.host, t.port ?? this.#port())));
    } catch (error) {
      if (!this.#active) return;
      // Keep the last answer: a DNS outage must not cut a node off from members it knew.
      if (this.#failures++ === 0) {
        logger.warn(
          { dnsName, code: (error as ConclaveError).code, err: (error as Error).message },
          "DNS lookup failed; keeping the last answer and retrying every refresh",
        );
      }
    }
  }

  protected override async openSender(): Promise<void> {
    await super.openSender();
    this.#active = true;
    const { dnsName, srv, refresh, lookup, logger, clock } = this.#dns;
    logger.info(
      { dnsName, records: srv ? "SRV" : "A/AAAA", servers: lookup.servers, refresh },
      "DNS membership looking up members",
    );
    this.#stopRefresh = clock.setInterval(() => void this.refresh(), refresh);
    // The first heartbeat goes to the members DNS knows, as Tomcat's provider does at start
    // (a lookup takes readTimeout at most).
    await this.refresh();
  }

  protected override closeSender(): Promise<void> {
    this.#active = false;
    this.#stopRefresh?.();
    this.#stopRefresh = undefined;
    this.#dns.lookup.cancel();
    return super.closeSender();
  }

  #port(): number {
    return this.#dns.port || this.getLocalMember().port;
  }

  #replace(next: StaticEntry[]): void {
    const before = new Set(this.#entries.map(key));
    this.#entries.splice(0, this.#entries.length, ...next);
    const self = this.getLocalMember();
    const fresh = next.filter((e) =>
      !before.has(key(e)) && !(e.port === self.port && sameHost(e.host, self.host))
    );
    const gone = [...before].filter((k) => !next.some((e) => key(e) === k));
    if (fresh.length === 0 && gone.length === 0) return;
    this.#dns.logger.info(
      { dnsName: this.#dns.dnsName, found: fresh.map(key), left: gone },
      "DNS answer changed",
    );
    // Greet newcomers now rather than at the next heartbeat.
    if (fresh.length > 0) {
      this.broadcast(this.heartbeatBytes(), MembershipKind.ALIVE).catch(() => {});
    }
  }
}

function key(e: StaticEntry): string {
  return `${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`;
}

/**
 * An entry without an id: addressed as "whoever listens there" until the member's heartbeat names
 * it (with a secret the channel handshake then proves who answered; a made-up id would be
 * refused).
 */
function entry(host: string, port: number): StaticEntry {
  return { host, port };
}
