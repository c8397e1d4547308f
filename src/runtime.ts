/**
 * Which runtime runs this bundle. The one place that asks; everything else
 * calls detectRuntime().
 */
import type { RuntimeName } from "./contract/runtime.ts";

export type { RuntimeName };

interface RuntimeGlobals {
  Bun?: { version: string };
  Deno?: { version: { deno: string } };
  process?: { versions?: { node?: string } };
}

/**
 * Bun and Deno are checked before Node because both also provide a
 * Node-compatible `process`; neither defines the other's global.
 */
export function detectRuntime(): RuntimeName {
  const g = globalThis as unknown as RuntimeGlobals;
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  if (g.process?.versions?.node !== undefined) return "node";
  throw new TypeError("hello-server runs on Bun, Deno or Node: none of their globals was found");
}

/** The runtime's own version string, e.g. "1.4.5". */
export function runtimeVersion(runtime: RuntimeName = detectRuntime()): string {
  const g = globalThis as unknown as RuntimeGlobals;
  if (runtime === "bun") return g.Bun!.version;
  if (runtime === "deno") return g.Deno!.version.deno;
  return g.process!.versions!.node!;
}

/** The command-line arguments after the program (and script, when there is one). */
export function runtimeArgs(runtime: RuntimeName = detectRuntime()): string[] {
  const g = globalThis as unknown as RuntimeGlobals & { Deno?: { args: string[] }; process?: { argv: string[] } };
  // Deno's own list excludes the permission flags and script; its `process.argv` shape differs in compiled binaries.
  if (runtime === "deno") return [...g.Deno!.args];
  return g.process!.argv.slice(2);
}
