/**
 * DNS lookups for `DnsMembershipService`: the A and AAAA records of a name, or its SRV records and
 * their targets' addresses, through `node:dns`'s `Resolver` (Node, Deno and Bun alike), optionally
 * against the servers named in `dnsServers`.
 *
 * @module
 */
import { Resolver } from "node:dns";
import { isIP } from "node:net";
import { ConclaveError } from "../../../src/errors.ts";

/** One address found; `port` only from an SRV record. */
export interface DnsTarget {
  host: string;
  port?: number;
}

/** An answer, capped at `limit` targets; `dropped` counts those past the cap. */
export interface DnsAnswer {
  targets: DnsTarget[];
  dropped: number;
}

/** Error codes that mean "this name has no such records": an empty answer, not a failure. */
const NO_RECORDS = new Set(["ENOTFOUND", "ENODATA"]);

const LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;

/** True for a DNS name: dot-separated labels of letters, digits, `-` and `_`, 253 at most. */
export function isDnsName(name: string): boolean {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  return bare.length > 0 && bare.length <= 253 && bare.split(".").every((l) => LABEL.test(l));
}

/**
 * True for a server `Resolver.setServers` takes: `192.0.2.53`, `192.0.2.53:53`, `::1`, `[::1]` or
 * `[::1]:53`, with a port from 1 to 65535.
 */
export function isDnsServer(server: string): boolean {
  const portOk = (p: string | undefined) => p === undefined || (+p >= 1 && +p <= 65535);
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server);
  if (bracketed) return isIP(bracketed[1]) === 6 && portOk(bracketed[2]);
  if (isIP(server) !== 0) return true;
  const v4 = /^([\d.]+):(\d{1,5})$/.exec(server);
  return v4 !== null && isIP(v4[1]) === 4 && portOk(v4[2]);
}

type Method = "resolve4" | "resolve6" | "resolveSrv";

export class DnsLookup {
  #resolver: Resolver;
  #servers: readonly string[] | undefined;
  #timeoutMs: number;

  /**
   * `servers`: as `dnsServers`, already checked; absent means the system's resolver. A lookup
   * not answered within `timeoutMs` (real time: it bounds network I/O) fails, its queries
   * cancelled.
   */
  constructor(servers?: readonly string[], timeoutMs = 1000) {
    this.#servers = servers;
    this.#timeoutMs = timeoutMs;
    // Node honours these; Deno and Bun keep their own, hence the deadline in lookup().
    this.#resolver = new Resolver({ timeout: Math.max(1, Math.ceil(timeoutMs / 2)), tries: 2 });
    if (servers && servers.length > 0) this.#resolver.setServers([...servers]);
  }

  /** The servers asked, for logs. */
  get servers(): string {
    return this.#servers?.length ? this.#servers.join(", ") : "the system's resolver";
  }

  /** Abandons queries in flight (they fail with ECANCELLED). */
  cancel(): void {
    try {
      this.#resolver.cancel();
    } catch { /* a runtime without cancel: the answer is ignored instead */ }
  }

  /**
   * The addresses of `name`: its A and AAAA records, or with `srv` its SRV records' targets
   * (each target's A and AAAA records, at the record's port). A name without records is an
   * empty answer; a failing server is MEMBERSHIP_ERR_DNS.
   */
  lookup(name: string, srv: boolean, limit: number): Promise<DnsAnswer> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.cancel();
        reject(
          new ConclaveError(
            "MEMBERSHIP_ERR_DNS",
            `DNS lookup of ${name} at ${this.servers}: no answer within ${this.#timeoutMs} ms`,
          ),
        );
      }, this.#timeoutMs);
    });
    return Promise.race([this.#lookup(name, srv, limit), deadline]).finally(() =>
      clearTimeout(timer)
    );
  }

  async #lookup(name: string, srv: boolean, limit: number): Promise<DnsAnswer> {
    const found = new Map<string, DnsTarget>();
    let dropped = 0;
    const add = (target: DnsTarget) => {
      const key = `${target.host}|${target.port ?? ""}`;
      if (found.has(key)) return;
      if (found.size < limit) found.set(key, target);
      else dropped++;
    };
    if (!srv) {
      for (const host of await this.#addresses(name)) add({ host });
      return { targets: [...found.values()], dropped };
    }
    // Port 0 means "no service here" (RFC 2782 uses "." as the target for that).
    const records = (await this.#query("resolveSrv", name)).filter((r) =>
      typeof r.name === "string" && r.name !== "" && r.name !== "." && r.port >= 1 &&
      r.port <= 65535
    );
    // Every target needs a lookup of its own: never more of them than addresses we would keep.
    const kept = records.slice(0, limit);
    dropped += records.length - kept.length;
    const hosts = await Promise.allSettled(
      kept.map((r) => isIP(r.name) !== 0 ? Promise.resolve([r.name]) : this.#addresses(r.name)),
    );
    hosts.forEach((result, i) => {
      if (result.status === "fulfilled") {
        for (const host of result.value) add({ host, port: kept[i].port });
      }
    });
    const failed = hosts.find((r) => r.status === "rejected");
    if (failed && found.size === 0) throw (failed as PromiseRejectedResult).reason;
    return { targets: [...found.values()], dropped };
  }

  /** A and AAAA records together; one kind missing is fine, a failing server is not. */
  async #addresses(name: string): Promise<string[]> {
    const [v4, v6] = await Promise.allSettled([
      this.#query("resolve4", name),
      this.#query("resolve6", name),
    ]);
    if (v4.status === "rejected" && v6.status === "rejected") throw v4.reason;
    return [
      ...(v4.status === "fulfilled" ? v4.value : []),
      ...(v6.status === "fulfilled" ? v6.value : []),
    ];
  }

  #query(method: "resolveSrv", name: string): Promise<{ name: string; port: number }[]>;
  #query(method: "resolve4" | "resolve6", name: string): Promise<string[]>;
  #query(method: Method, name: string): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const done = (err: NodeJS.ErrnoException | null, records: unknown[]) => {
        if (!err) resolve(Array.isArray(records) ? records : []);
        else if (NO_RECORDS.has(String(err.code))) resolve([]);
        else {
          reject(
            new ConclaveError(
              "MEMBERSHIP_ERR_DNS",
              `DNS lookup ${method} ${name} at ${this.servers} failed: ${err.code ?? err.message}`,
              { cause: err },
            ),
          );
        }
      };
      try {
        (this.#resolver[method] as (n: string, cb: typeof done) => void)(name, done);
      } catch (error) {
        // A name the runtime refuses outright (an SRV target from the server, say).
        done(error as NodeJS.ErrnoException, []);
      }
    });
  }
}
