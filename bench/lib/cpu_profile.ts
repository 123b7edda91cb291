/**
 * Summaries of V8 CPU profiles (`--cpu-prof`): the share of busy time by where the code lives
 * (Node's own `node:` modules, the HTTP adapter, Conclave, other packages, V8's garbage collector)
 * and the functions with the most self time.
 *
 * @module
 */
import { REPO } from "../../test/helpers/runtime.ts";

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function's code lives. */
function placeOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (functionName === "(garbage collector)") return "gc";
  if (functionName === "(idle)") return "idle";
  if (functionName === "(program)" || functionName === "(root)") return "program";
  if (url.startsWith("node:")) return "node";
  if (url.includes("@hono/node-server")) return "adapter";
  if (url.includes("node_modules")) return "packages";
  if (url === "") return "native";
  if (url.includes("/bench/")) return "bench app";
  return "conclave";
}

/** Self time (ms) per profile node id. */
function selfTimes(profile: Profile): Map<number, number> {
  const times = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    times.set(id, (times.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return times;
}

/** `file:line` of a frame, relative to the repository or to node_modules. */
function nameOf(frame: CallFrame): string {
  const { functionName, url, lineNumber } = frame;
  const file = url.replace(`file://${REPO}/`, "").replace(/^.*node_modules\//, "");
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
}

/** The parent of each profile node. */
function parents(profile: Profile): Map<number, ProfileNode> {
  const up = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) up.set(child, node);
  return up;
}

/**
 * The samples of `profile` within its last burst of work under a function named by `marker`
 * (bursts are apart by more than `gapMs`), from the burst's first such sample to `tailMs` after
 * its last: one state transfer out of a profile of a process's whole life.
 */
export function lastBurst(profile: Profile, marker: RegExp, gapMs = 500, tailMs = 50): Profile {
  const up = parents(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const marked = new Map<number, boolean>();
  const isMarked = (id: number): boolean => {
    let known = marked.get(id);
    if (known === undefined) {
      const node = byId.get(id)!;
      const parent = up.get(id);
      known = marker.test(node.callFrame.functionName) ||
        (parent !== undefined && isMarked(parent.id));
      marked.set(id, known);
    }
    return known;
  };
  const at: number[] = [];
  let t = 0;
  for (const delta of profile.timeDeltas) at.push(t += delta / 1000);
  let first = -1;
  let last = -1;
  for (let i = profile.samples.length - 1; i >= 0; i--) {
    if (!isMarked(profile.samples[i])) continue;
    if (last < 0) last = i;
    else if (at[first] - at[i] > gapMs) break;
    first = i;
  }
  if (first < 0) return { ...profile, samples: [], timeDeltas: [] };
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  for (let i = first; i < profile.samples.length && at[i] <= at[last] + tailMs; i++) {
    samples.push(profile.samples[i]);
    timeDeltas.push(profile.timeDeltas[i]);
  }
  return { ...profile, samples, timeDeltas };
}

/** Total time (ms) under each function, its callees included (a recursion counted once). */
function inclusiveTimes(profile: Profile, times: Map<number, number>): Map<string, number> {
  const up = parents(profile);
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = times.get(node.id) ?? 0;
    if (ms === 0) continue;
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = node; n; n = up.get(n.id)) {
      const name = nameOf(n.callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      byName.set(name, (byName.get(name) ?? 0) + ms);
    }
  }
  return byName;
}

export function summarize(profile: Profile, top: number, inclusive = 0): string[] {
  const times = selfTimes(profile);
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, { ms: number; place: string }>();
  for (const node of profile.nodes) {
    const ms = times.get(node.id) ?? 0;
    if (ms === 0) continue;
    const place = placeOf(node.callFrame);
    byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
    const key = nameOf(node.callFrame);
    const entry = byFunction.get(key) ?? { ms: 0, place };
    entry.ms += ms;
    byFunction.set(key, entry);
  }
  const idle = byPlace.get("idle") ?? 0;
  const total = [...byPlace.values()].reduce((a, b) => a + b, 0);
  const busy = total - idle;
  const pct = (ms: number) => `${(100 * ms / busy).toFixed(1).padStart(5)}%`;
  const lines = [`busy ${busy.toFixed(0)} ms of ${total.toFixed(0)} ms profiled`];
  for (const [place, ms] of [...byPlace].sort((a, b) => b[1] - a[1])) {
    if (place !== "idle") lines.push(`  ${pct(ms)}  ${place}`);
  }
  lines.push("  top self time:");
  const functions = [...byFunction].filter(([, f]) => f.place !== "idle")
    .sort((a, b) => b[1].ms - a[1].ms).slice(0, top);
  for (const [name, f] of functions) lines.push(`  ${pct(f.ms)}  ${f.place.padEnd(9)} ${name}`);
  if (inclusive > 0) {
    lines.push("  top total time (callees included):");
    const totals = [...inclusiveTimes(profile, times)]
      .filter(([name]) => !/^\((root|program|idle)\)/.test(name))
      .sort((a, b) => b[1] - a[1]).slice(0, inclusive);
    for (const [name, ms] of totals) lines.push(`  ${pct(ms)}  ${name}`);
  }
  return lines;
}
