/**
 * The runtimes to compare: bun and deno from node_modules, node from PATH,
 * plus any `--runtime NAME=PATH`. A runtime's kind (how to run a script
 * with it) is told by its `--version` output: deno prints `deno X`, node
 * prints `vX`, bun prints a bare `X`.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { which } from "./host.ts";

export type RuntimeKind = "bun" | "deno" | "node";

export interface Runtime {
  /** Name in reports: bun, deno, node, or the NAME of --runtime. */
  name: string;
  kind: RuntimeKind;
  path: string;
  version: string;
}

const ROOT = join(import.meta.dir, "../../..");

/** Interprets the first line of `BIN --version`. Pure. */
export function kindFromVersion(output: string): { kind: RuntimeKind; version: string } | undefined {
  const first = output.trim().split("\n")[0]?.trim() ?? "";
  let m = /^deno (\S+)/.exec(first);
  if (m) return { kind: "deno", version: m[1]! };
  m = /^v(\d+\.\d+\.\d+\S*)$/.exec(first);
  if (m) return { kind: "node", version: m[1]! };
  m = /^(\d+\.\d+\.\d+\S*)$/.exec(first);
  if (m) return { kind: "bun", version: m[1]! };
  return undefined;
}

function probe(name: string, path: string): Runtime | undefined {
  try {
    const out = execFileSync(path, ["--version"], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] });
    const k = kindFromVersion(out);
    return k ? { name, path, ...k } : undefined;
  } catch {
    return undefined;
  }
}

/** Default runtimes found on this machine, then the extra ones, deduplicated by name. */
export function discoverRuntimes(extra: ReadonlyArray<readonly [string, string]>): { found: Runtime[]; missing: string[] } {
  const candidates: Array<[string, string | undefined]> = [
    ["bun", join(ROOT, "node_modules/.bin/bun")],
    ["deno", join(ROOT, "node_modules/.bin/deno")],
    ["node", which("node")],
    ...extra.map(([n, p]) => [n, p] as [string, string]),
  ];
  const found: Runtime[] = [];
  const missing: string[] = [];
  for (const [name, path] of candidates) {
    const rt = path && existsSync(path) ? probe(name, path) : undefined;
    if (!rt) {
      missing.push(name);
      continue;
    }
    const same = found.findIndex((r) => r.name === name);
    if (same >= 0) found[same] = rt; // --runtime bun=... replaces the default
    else found.push(rt);
  }
  return { found, missing };
}

/** argv that runs a JavaScript file with this runtime. */
export function scriptCommand(rt: Runtime, file: string): string[] {
  switch (rt.kind) {
    case "bun":
      return [rt.path, file];
    case "deno":
      // --unstable-net: hello-server's Deno adapter and deno-serve --workers use reusePort.
      return [rt.path, "run", "-A", "--unstable-net", file];
    case "node":
      return [rt.path, file];
  }
}
