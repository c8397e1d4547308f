/**
 * Node without koffi: `--io auto` serves on node:net and says why in one
 * line; `--io syscall` refuses to start with the same reason. The bundle is
 * copied to a directory with no node_modules above it, which is what a
 * deployment without the optional dependency looks like.
 */
import { afterAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLE, exchange } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "hello-no-koffi-"));
const bundle = join(dir, "hello-server.js");
copyFileSync(BUNDLE, bundle);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(flags: readonly string[]): { stderr: () => string; exited: Promise<number | string>; kill(): void } {
  const child = spawn("node", [bundle, "--port", "0", "--host", "127.0.0.1", "--workers", "1", ...flags], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? "?")));
  return { stderr: () => err, exited, kill: () => child.kill("SIGTERM") };
}

test("--io auto on Node without koffi: one line saying why, then node:net serves", async () => {
  const server = run(["--io", "auto"]);
  try {
    const deadline = Date.now() + 15_000;
    let m: RegExpExecArray | null = null;
    while ((m = /listening on http:\/\/127\.0\.0\.1:(\d+) \(node [^,]+, io socket/.exec(server.stderr())) === null) {
      if (Date.now() > deadline) throw new Error(`no listening line: ${server.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const reply = await exchange(Number(m[1]), "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    expect(new TextDecoder().decode(reply.received)).toEndWith("\r\n\r\nhello");
    const lines = server.stderr().split("\n").filter((l) => l.includes("--io auto"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("using node:net sockets, not the syscall back end: the optional koffi package cannot be loaded here (Cannot find module 'koffi'");
  } finally {
    server.kill();
    expect(await server.exited).toBe(0);
  }
});

test("--io syscall on Node without koffi: refuses to start, with the reason", async () => {
  const server = run(["--io", "syscall"]);
  expect(await server.exited).not.toBe(0);
  expect(server.stderr()).toContain("--io syscall on Node needs an FFI, and the optional koffi package cannot be loaded here");
});
