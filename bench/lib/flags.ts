/**
 * The benchmarks' command-line flags: `--name value` or `--name=value`.
 *
 * @module
 */

/** Reads flags from `argv`; a bad number throws with the flag's name. */
export function benchFlags(argv: readonly string[]) {
  const value = (name: string): string | undefined => {
    const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (at < 0) return undefined;
    const arg = argv[at];
    return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[at + 1];
  };
  /** A positive number, or `fallback` when the flag is absent. */
  const number = (name: string, fallback: number): number => {
    const text = value(name);
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} takes a positive number`);
    return n;
  };
  return { value, number };
}
