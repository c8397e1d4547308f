/**
 * The one flag reader of bench/: node:util's parseArgs (Bun, Deno and
 * Node all have it) with the value checks every entry point needs, so no
 * script scans argv by hand. Errors say which flag and what it wants.
 *
 * Usage: const { values } = readFlags(commandLine(), { rate: { type: "string" } }, USAGE);
 *        const rate = integer("rate", values.rate, 1000);
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The script's arguments on any runtime (Deno has no process.argv of its own script). */
export function commandLine(): string[] {
  return (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
}

/**
 * parseArgs, strict: an unknown flag, or a value missing after a string
 * flag, is an error that carries the usage text. Positionals only where
 * the caller allows them.
 */
export function readFlags<const O extends Options>(argv: readonly string[], options: O, usage: string, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (e) {
    throw new Error(`unknown option or missing value: ${(e as Error).message}\n\n${usage}`);
  }
}

/** An integer flag ≥ min (default 1), or the fallback when absent. */
export function integer(name: string, v: string | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${v}`);
  return n;
}

/** A number flag > 0 (fractions allowed), or the fallback when absent. */
export function positive(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
}

/** "64,256": integers ≥ 1, ascending, duplicates dropped. */
export function integerList(name: string, v: string): number[] {
  const list = v.split(",").filter(Boolean).map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${name} wants integers >= 1, comma-separated`);
  return [...new Set(list)].sort((a, b) => a - b);
}

/** One of a closed set of words. */
export function oneOf<const W extends string>(name: string, v: string | undefined, words: readonly W[], fallback: W): W {
  if (v === undefined) return fallback;
  if ((words as readonly string[]).includes(v)) return v as W;
  throw new Error(`--${name} is ${words.join(" or ")}, got ${v}`);
}
