/**
 * The runtimes' own servers (bench/native/) bundled to one plain-JS file
 * each, so every runtime runs the same file: node 20 cannot run
 * TypeScript.
 *
 * Usage: const natives = bundleNatives(tmpDir); natives.bun // .../bun-serve.mjs
 */
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import type { RuntimeKind } from "./runtimes.ts";

const ROOT = resolve(import.meta.dir, "../../..");
const FILES: Record<RuntimeKind, string> = { bun: "bun-serve", deno: "deno-serve", node: "node-http" };

export function bundleNatives(dir: string): Record<RuntimeKind, string> {
  const out = {} as Record<RuntimeKind, string>;
  for (const [kind, name] of Object.entries(FILES) as Array<[RuntimeKind, string]>) {
    out[kind] = join(dir, `${name}.mjs`);
    execFileSync(join(ROOT, "node_modules/.bin/esbuild"), [join(ROOT, `bench/native/${name}.ts`), "--bundle", "--platform=node", "--format=esm", `--outfile=${out[kind]}`, "--log-level=warning"]);
  }
  return out;
}
