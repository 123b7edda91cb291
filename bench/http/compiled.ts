/**
 * Node runs the bench's nodes from JavaScript compiled by `tsc`, as the npm package runs them
 * (`dist/`), not from the TypeScript sources through tsx: tsx compiles with esbuild's `keepNames`,
 * which wraps every named closure in a `__name()` call (`bench/request_path.ts` measured 16.9
 * against 9.9 µs per read while the request path still made closures). Deno and Bun run the
 * sources, which they strip of types without changing them.
 *
 * The build goes to `.conclave-tmp/dist/` once per run: `node.ts`, the CLI and the bench's app and
 * manager (and `hello.ts`), with `tsconfig.build.json`'s settings.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../../test/helpers/runtime.ts";
import type { Runtime } from "./settings.ts";

const OUT = join(REPO, ".conclave-tmp", "dist");
let built = false;

/** Compiles once; throws with tsc's output when the build fails. */
function build(): void {
  if (built) return;
  mkdirSync(OUT, { recursive: true });
  const tsconfig = join(REPO, ".conclave-tmp", "tsconfig.bench.json");
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: "../tsconfig.build.json",
      compilerOptions: { outDir: "dist", rootDir: "..", declaration: false, declarationMap: false },
      files: [
        "../node.ts",
        "../bench/http/app.ts",
        "../bench/http/manager.ts",
        "../bench/http/hello.ts",
      ],
    }),
  );
  writeFileSync(join(OUT, "package.json"), '{ "type": "module" }\n');
  const tsc = spawnSync(join(REPO, "node_modules", ".bin", "tsc"), ["-p", tsconfig], {
    cwd: REPO,
    encoding: "utf8",
  });
  if (tsc.status !== 0) throw new Error(`tsc -p ${tsconfig} failed:\n${tsc.stdout}${tsc.stderr}`);
  built = true;
}

/**
 * Where `runtime` finds the repository's file `path` (such as `bench/http/app.ts`): the compiled
 * copy for Node, the source for Deno and Bun.
 */
export function benchFile(runtime: Runtime, path: string): string {
  if (runtime !== "node") return join(REPO, path);
  build();
  return join(OUT, path.replace(/\.ts$/, ".js"));
}
