/**
 * The flags of `bench/http.ts` and what a run prints as it goes.
 *
 * @module
 */
import process from "node:process";
import { benchFlags } from "../lib/flags.ts";
import type { RuntimeName } from "../../test/helpers/runtime.ts";

export const KIB = 1024;

export type Runtime = RuntimeName;
export type Path = "read" | "write";
/** The measurements to run. */
export type Parts = { load: boolean; lag: boolean; failover: boolean; scale: boolean };

export interface Settings {
  quick: boolean;
  runtimes: Runtime[];
  seconds: number;
  warmup: number;
  /** Seconds of writes, then of reads, before a set-up's first timed run. */
  setUpWarmup: number;
  /** Timed runs per case and set-up; a row shows the run of median req/s. */
  rounds: number;
  concurrency: number[];
  threads: number;
  /** Nodes per Conclave cluster (`--nodes N`, 2 to 9; 3 by default). */
  nodes: number;
  /**
   * Which Conclave nodes wrk loads (`--load-on all|first`): all by default, or node 1 alone
   * while the others only replicate (issue 18's layout, with `--nodes 2`).
   */
  loadOn: "all" | "first";
  /** `--ceiling`: also load each runtime's HTTP server with no sessions (`hello.ts`). */
  ceiling: boolean;
  pool: number;
  sessions: number;
  seedWindow: number;
  trials: number;
  lagWrites: number;
  async: boolean;
  redis: boolean;
  /** The measurements to run (`--parts load,lag,failover,scale`); all by default. */
  parts: Parts;
  keep: boolean;
  /** `--json OUT.json`: write the figures there. */
  json: string | undefined;
  /** `--compare BASELINE.json`: print each figure's ratio to that run's. */
  compare: string | undefined;
  /** `--tolerance F`: a ratio worse than 1 - F is flagged (default 0.1). */
  tolerance: number;
}

export function parseSettings(argv: readonly string[]): Settings {
  const flags = benchFlags(argv);
  const value = flags.value;
  const quick = argv.includes("--quick");
  const number = (name: string, fallback: number) => Math.round(flags.number(name, fallback));
  const nodes = number("nodes", 3);
  if (!(nodes >= 2 && nodes <= 9)) throw new Error(`--nodes takes 2 to 9, not ${nodes}`);
  const loadOn = value("load-on") ?? "all";
  if (loadOn !== "all" && loadOn !== "first") {
    throw new Error(`--load-on takes all or first, not ${JSON.stringify(loadOn)}`);
  }
  const runtimes = (value("runtimes") ?? "node,bun,deno").split(",").map((r) => r.trim());
  for (const r of runtimes) {
    if (r !== "node" && r !== "bun" && r !== "deno") {
      throw new Error(`--runtimes takes node, bun and deno, not ${JSON.stringify(r)}`);
    }
  }
  return {
    quick,
    runtimes: runtimes as Runtime[],
    seconds: number("seconds", quick ? 2 : 4),
    warmup: number("warmup", 1),
    setUpWarmup: number("setup-warmup", quick ? 1 : 3),
    rounds: number("rounds", 1),
    concurrency: (value("concurrency") ?? "16,64").split(",").map(Number).filter((n) => n > 0),
    threads: number("threads", 16),
    nodes,
    loadOn,
    ceiling: argv.includes("--ceiling"),
    pool: number("pool", 100),
    sessions: number("sessions", quick ? 20_000 : 100_000),
    seedWindow: number("seed-window", 64),
    trials: number("trials", quick ? 2 : 4),
    lagWrites: number("lag-writes", quick ? 200 : 500),
    async: !argv.includes("--no-async"),
    parts: parseParts(value("parts")),
    redis: !argv.includes("--skip-redis"),
    keep: argv.includes("--keep"),
    json: value("json"),
    compare: value("compare"),
    tolerance: flags.number("tolerance", 0.1),
  };
}

export function parseParts(list: string | undefined): Parts {
  const all = ["load", "lag", "failover", "scale"] as const;
  const wanted = (list ?? all.join(",")).split(",").map((p) => p.trim());
  for (const p of wanted) {
    if (!(all as readonly string[]).includes(p)) {
      throw new Error(`--parts takes ${all.join(", ")}, not ${JSON.stringify(p)}`);
    }
  }
  const has = (p: string) => wanted.includes(p);
  return { load: has("load"), lag: has("lag"), failover: has("failover"), scale: has("scale") };
}

export function progress(text: string): void {
  process.stderr.write(`# ${text}\n`);
}

export function writeRow(row: object): void {
  process.stdout.write(`${JSON.stringify({ bench: "http", ...row })}\n`);
}
