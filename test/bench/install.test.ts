/**
 * --runtime NAME@VERSION: a cached version is reused without the network;
 * a version the registry does not have is a one-line error (asks the npm
 * registry once: CI reaches it, like npm install).
 */
import { expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { installRuntime } from "../../bench/lib/servers/install.ts";

test("a cached runtime is reused, checked with --version", () => {
  const cache = mkdtempSync(join(os.tmpdir(), "rt-cache-"));
  try {
    const bin = join(cache, "bun@0.0.1", "package", "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "bun"), "#!/bin/sh\necho 0.0.1\n");
    chmodSync(join(bin, "bun"), 0o755);
    const fetched: string[] = [];
    const rt = installRuntime("bun@0.0.1", (m) => fetched.push(m), cache);
    expect(rt).toEqual({ name: "bun@0.0.1", kind: "bun", version: "0.0.1", path: join(bin, "bun") });
    expect(fetched).toEqual([]); // no npm call
    expect(() => installRuntime("bun", undefined, cache)).toThrow(/expected bun@VERSION/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test("a version that cannot be had is one clear line", () => {
  const cache = mkdtempSync(join(os.tmpdir(), "rt-cache-"));
  try {
    let message = "";
    try {
      installRuntime("bun@0.0.0-no-such-version", undefined, cache);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^--runtime bun@0\.0\.0-no-such-version: @oven\/bun-linux-(x64|aarch64)[a-z-]*@0\.0\.0-no-such-version cannot be had from the npm registry: /);
    expect(message).not.toContain("\n");
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}, 60_000);
