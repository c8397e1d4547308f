import { expect, test } from "bun:test";
import { parseCompareArgs } from "../../bench/lib/cli/compare-args.ts";
import { parseStatTimes } from "../../bench/lib/measure/proc.ts";
import { parseResponse } from "../../bench/lib/servers/probe.ts";
import { discoverRuntimes, kindFromVersion } from "../../bench/lib/servers/runtimes.ts";
import { parseStraceSummary } from "../../bench/lib/measure/strace.ts";


// strace 6.1 `-f -c` output (blank errors column on some rows).
const STRACE = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 59.89    0.142796         562       254       127 wait4
 11.22    0.026741         210       127           clone
  7.29    0.017380           4      4064      1651 openat
------ ----------- ----------- --------- --------- ----------------
100.00    0.186917          41      4445      1778 total
`;

test("strace summary: calls per syscall, total recomputed, most frequent first", () => {
  const s = parseStraceSummary(STRACE);
  expect(s.total).toBe(4445);
  expect(s.byCall.map((c) => c.name)).toEqual(["openat", "wait4", "clone"]);
  expect(s.byCall[0]!.calls).toBe(4064);
  expect(parseStraceSummary("").total).toBe(0);
});

test("/proc/PID/stat times survive a comm with spaces and parentheses", () => {
  const stat = "4242 (bun (worker) 1) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 75 3 4 20 0 4 0 1000 0 0";
  expect(parseStatTimes(stat)).toEqual({ utime: 250, stime: 75, cutime: 3, cstime: 4 });
});

test("runtime kind from --version output", () => {
  expect(kindFromVersion("1.4.5\n")).toEqual({ kind: "bun", version: "1.4.5" });
  expect(kindFromVersion("deno 2.9.6 (stable, release, x86_64-unknown-linux-gnu)\nv8 15.0")).toEqual({ kind: "deno", version: "2.9.6" });
  expect(kindFromVersion("v20.20.2\n")).toEqual({ kind: "node", version: "20.20.2" });
  expect(kindFromVersion("Python 3.12")).toBeUndefined();
});

test("probe response framing by Content-Length", () => {
  const full = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: x\r\n\r\nhello");
  expect(parseResponse(full)).toMatchObject({ status: 200, body: "hello", size: full.length });
  expect(parseResponse(full.subarray(0, full.length - 1))).toBeUndefined();
  expect(parseResponse(Buffer.from("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"))?.status).toBe(404);
});

test("compare options: defaults, --quick, validation", () => {
  const d = parseCompareArgs([], new Date("2026-01-02T03:04:05.678Z"));
  expect(d).toMatchObject({ connections: [64], workers: 1, durationS: 5, runs: 3, strace: "auto", out: "results/2026-01-02T03-04-05-678Z" });
  expect(d.scenarios).toEqual(["keepalive", "pipelined", "close", "tls-keepalive", "tls-close"]);
  const q = parseCompareArgs(["--quick", "--runtime", "node22=/opt/node", "--only", "hello,nginx"]);
  expect(q).toMatchObject({ durationS: 1, runs: 1, warmupS: 1, strace: "off", only: ["hello", "nginx"], runtimes: [["node22", "/opt/node"]] });
  expect(parseCompareArgs(["--quick", "--runs", "2", "--strace"])).toMatchObject({ runs: 2, strace: "on" });
  // --quick leaves the TLS scenarios out unless they are named.
  expect(parseCompareArgs(["--quick"]).scenarios).toEqual(["keepalive", "pipelined", "close"]);
  expect(parseCompareArgs(["--quick", "--scenarios", "tls-close"]).scenarios).toEqual(["tls-close"]);
  expect(() => parseCompareArgs(["--scenarios", "slow"])).toThrow(/unknown scenario/);
  expect(() => parseCompareArgs(["--runs", "0"])).toThrow();
  expect(() => parseCompareArgs(["--runtime", "node"])).toThrow(/NAME=PATH/);
  expect(() => parseCompareArgs(["--bogus"])).toThrow(/unknown option/);
});

test("compare options: sweeps, --preset techempower, --runtime NAME@VERSION, --diff", () => {
  expect(parseCompareArgs(["--connections", "1024,64,256,64"]).connections).toEqual([64, 256, 1024]);
  expect(() => parseCompareArgs(["--connections", "64,x"])).toThrow(/comma-separated/);
  const te = parseCompareArgs(["--preset", "techempower"]);
  expect(te).toMatchObject({ scenarios: ["pipelined"], connections: [256, 1024, 4096, 16384], durationS: 15, warmupS: 15, runs: 1, primer: true, body: "Hello, World!" });
  // Explicit flags win over the preset; --quick still shortens it.
  expect(parseCompareArgs(["--preset", "techempower", "--runs", "3", "--connections", "256"])).toMatchObject({ runs: 3, connections: [256] });
  expect(parseCompareArgs(["--preset", "techempower", "--quick"])).toMatchObject({ durationS: 1, warmupS: 1, primer: true });
  expect(() => parseCompareArgs(["--preset", "fortunes"])).toThrow(/techempower/);
  const rt = parseCompareArgs(["--runtime", "bun@1.3.9", "--runtime", "deno@2.8", "--runtime", "n2=/usr/bin/node"]);
  expect(rt.installs).toEqual(["bun@1.3.9", "deno@2.8"]);
  expect(rt.runtimes).toEqual([["n2", "/usr/bin/node"]]);
  expect(parseCompareArgs(["--diff", "results/a", "results/b", "--force"])).toMatchObject({ diff: ["results/a", "results/b"], force: true });
  expect(() => parseCompareArgs(["--diff", "results/a"])).toThrow(/needs a value/);
  expect(() => parseCompareArgs(["--body", ""])).toThrow(/body/);
});

test("--runtime NAME=PATH: the kind comes from the binary, not the name", () => {
  const { found, missing } = discoverRuntimes([["node2", process.execPath], ["ghost", "/nonexistent/node"]]);
  expect(found.find((r) => r.name === "node2")).toMatchObject({ kind: "bun", path: process.execPath, version: Bun.version });
  expect(missing).toContain("ghost");
});
