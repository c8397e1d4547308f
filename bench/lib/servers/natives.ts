/**
 * The runtimes' own servers (bench/native/) bundled to one plain-JS file
 * each, so every runtime runs the same file: node 20 cannot run
 * TypeScript.
 *
 * Usage: const natives = bundleNatives(tmpDir); natives.bun // .../bun-serve.mjs
 *        const peer = peerBundler(tmpDir); peer("ws-node", "cjs") // .../ws-node.cjs, bundled once
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

/** CommonJS for what require()s node's builtins on node (ws, grpc-js), ESM otherwise. */
export type PeerFormat = "esm" | "cjs";

/**
 * The protocol peers (bench/native/h2-*, ws-*, grpc-js) bundled on first
 * use only: a session without protocol scenarios (the CI's --quick) pays
 * for none of them.
 */
export function peerBundler(dir: string): (name: string, format: PeerFormat) => string {
  const done = new Map<string, string>();
  return (name, format) => {
    const out = join(dir, `${name}.${format === "cjs" ? "cjs" : "mjs"}`);
    if (!done.has(out)) {
      execFileSync(join(ROOT, "node_modules/.bin/esbuild"), [join(ROOT, `bench/native/${name}.ts`), "--bundle", "--platform=node", `--format=${format}`, `--outfile=${out}`, "--log-level=warning"]);
      done.set(out, out);
    }
    return out;
  };
}
