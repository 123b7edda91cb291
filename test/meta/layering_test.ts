/**
 * The layering stays true: shipped code (`src/`, `plugins/`, tests excluded) imports only its own
 * floor or the floors below it, never test-support code, and no module imports itself round a
 * cycle.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Floors, lowest first: a module may import from its own floor and the ones below. */
export const FLOORS: readonly (readonly string[])[] = [
  ["src/errors.ts"],
  ["src/runtime/", "src/interfaces/"],
  ["src/kernel/", "src/wire/", "src/membership/"],
  ["src/session/"],
  ["plugins/", "src/conformance/"],
  ["src/http/", "src/library/"],
  ["src/node/"],
  ["src/cli/"],
  ["src/mod.ts"],
];
/** Test-support code: shipped code never imports it. */
const TEST_SUPPORT = ["src/testing/"];

function floorOf(file: string): number {
  const i = FLOORS.findIndex((floor) => floor.some((p) => file === p || file.startsWith(p)));
  return i;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) out.push(path);
  }
  return out;
}

/** The repository files `file` imports (static, dynamic and type imports, and re-exports). */
export function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (const match of text.matchAll(pattern)) {
    found.push(normalize(join(dirname(file), match[1])).replaceAll("\\", "/"));
  }
  return found;
}

/** Upward imports and imports of test support, as `from -> to` lines. */
export function violations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const bad: string[] = [];
  for (const [from, targets] of graph) {
    const floor = floorOf(from);
    if (floor < 0) {
      bad.push(`${from} sits on no floor`);
      continue;
    }
    for (const to of targets) {
      if (TEST_SUPPORT.some((p) => to.startsWith(p))) bad.push(`${from} -> ${to} (test support)`);
      else if (floorOf(to) > floor) bad.push(`${from} -> ${to} (upward)`);
    }
  }
  return bad;
}

/** One cycle of the import graph, if there is any. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

function shippedGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...sourceFiles("src"), ...sourceFiles("plugins")]) {
    if (TEST_SUPPORT.some((p) => file.startsWith(p))) continue;
    const text = readFileSync(join(ROOT, file), "utf8");
    graph.set(file, importsOf(file, text).filter((to) => !relative(ROOT, to).startsWith("..")));
  }
  return graph;
}

describe("the layering", () => {
  const graph = shippedGraph();

  it("sees the shipped modules", () => {
    assert.ok(graph.size > 100, `${graph.size} modules`);
    assert.ok(graph.get("src/node/node.ts")?.includes("src/kernel/node.ts"));
  });

  it("has no import from a lower floor into a higher one, nor of test support", () => {
    assert.deepEqual(violations(graph), []);
  });

  it("has no import cycle", () => {
    assert.equal(findCycle(graph)?.join(" -> "), undefined);
  });

  it("would catch an upward import and a cycle", () => {
    const bad = new Map(graph);
    bad.set("src/kernel/channel.ts", [
      ...(graph.get("src/kernel/channel.ts") ?? []),
      "src/http/host.ts",
    ]);
    assert.deepEqual(violations(bad), ["src/kernel/channel.ts -> src/http/host.ts (upward)"]);
    assert.ok(findCycle(new Map([["a", ["b"]], ["b", ["a"]]])));
  });
});
