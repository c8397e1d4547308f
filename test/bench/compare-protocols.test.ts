/**
 * The comparison's protocol scenarios: opt-in on the command line, the
 * peers picked by --only's families, and a short end-to-end run (about
 * 25 s: hello-server and its peers on Bun, h2c, echo-ws and grpc, one
 * 1-second run each) whose rows exist, are valid, count in their own unit
 * and have plausible counts. Correctness only: the numbers are not compared.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseCompareArgs } from "../../bench/lib/cli/compare-args.ts";
import { xmlProblems } from "../../bench/lib/report/xml.ts";
import { discoverRuntimes } from "../../bench/lib/servers/runtimes.ts";
import { expandInstances, filterInstances } from "../../bench/lib/servers/kinds.ts";
import { which } from "../../bench/lib/servers/host.ts";
import { runsOn } from "../../bench/lib/types.ts";
import { runCompare } from "./run-compare.ts";

const out = mkdtempSync(join(os.tmpdir(), "compare-protocols-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test("protocol scenarios are opt-in: not in the default list nor --quick's; --preset protocols names all six", () => {
  expect(parseCompareArgs([]).scenarios).toEqual(["keepalive", "pipelined", "close", "tls-keepalive", "tls-close"]);
  expect(parseCompareArgs(["--quick"]).scenarios).toEqual(["keepalive", "pipelined", "close"]);
  expect(parseCompareArgs(["--preset", "protocols"]).scenarios).toEqual(["h2c", "h2c-single", "h2-tls", "echo-ws", "grpc", "grpc-tls"]);
  expect(parseCompareArgs(["--preset", "protocols", "--scenarios", "grpc"]).scenarios).toEqual(["grpc"]);
  expect(() => parseCompareArgs(["--scenarios", "h3"])).toThrow("echo-ws");
});

test("--only: a family takes its protocol peers, and each scenario runs on the kinds that serve its wire", () => {
  const { found } = discoverRuntimes([]);
  const keys = (only: string[]) => filterInstances(expandInstances(found), only).map((i) => i.key);
  // The h2-over-TLS peers answer to native-tls, as the HTTPS/1.1 ones do.
  expect(keys(["bun/native"])).toEqual(["bun/native", "bun/native-h2", "bun/native-ws", "bun/grpc-js"]);
  expect(keys(["bun/native-tls"])).toEqual(["bun/native-tls", "bun/native-h2-tls", "bun/grpc-js-tls"]);
  expect(keys(["nginx"])).toEqual(["nginx", "nginx-h2"]);
  // `hello` is the default back end (--io auto), its WebSocket row with it; each back end has its own name.
  expect(keys(["bun/hello"])).toEqual(["bun/hello", "bun/hello-ws"]);
  expect(keys(["bun/hello-socket"])).toEqual(["bun/hello-socket", "bun/hello-socket-ws"]);
  expect(keys(["bun/hello-syscall"])).toEqual(["bun/hello-syscall", "bun/hello-syscall-ws"]);
  expect(keys(["bun/hello-uring"])).toEqual(["bun/hello-uring"]);
  const argv = (key: string) => filterInstances(expandInstances(found), [key])[0]!.kind.argv({ runtime: found.find((r) => r.name === "bun"), port: 1, workers: 1, bundle: "b.js", body: "x", prefix: [] } as never)!;
  expect(argv("bun/hello")).not.toContain("--io");
  expect(argv("bun/hello-ws")).not.toContain("--io");
  expect(argv("bun/hello-socket").join(" ")).toContain("--io socket");
  expect(argv("bun/hello-socket-ws").join(" ")).toContain("--io socket");
  const kinds = new Map(expandInstances(found).map((i) => [i.kind.id, i.kind]));
  const on = (scenario: Parameters<typeof runsOn>[0]) => [...kinds.values()].filter((k) => runsOn(scenario, k)).map((k) => k.id);
  expect(on("h2c")).toEqual(["hello", "hello-socket", "hello-syscall", "native-h2", "nginx-h2", "h2o"]);
  expect(on("h2-tls")).toEqual(["hello-tls", "native-h2-tls", "nginx-h2-tls", "h2o-tls"]);
  expect(on("echo-ws")).toEqual(["hello-ws", "hello-socket-ws", "hello-syscall-ws", "native-ws"]);
  expect(on("grpc")).toEqual(["hello", "hello-socket", "hello-syscall", "grpc-js", "grpc-node-http2"]);
  expect(on("grpc-tls")).toEqual(["hello-tls", "grpc-js-tls"]);
  expect(on("keepalive")).toEqual(["hello", "hello-socket", "hello-syscall", "hello-syscall-lazy", "hello-uring", "native", "nginx"]);
});

test.skipIf(!which("h2load"))("end to end: h2c, echo-ws, grpc and grpc-tls rows for hello-server and its Bun peers, valid, in their units", async () => {
  const { stdout, report } = await runCompare(["bench/compare.ts", "--quick", "--scenarios", "h2c,echo-ws,grpc,grpc-tls", "--only", "bun/hello,bun/native,bun/hello-tls,bun/grpc-js-tls"], out);
  expect(report.options.scenarios).toEqual(["h2c", "echo-ws", "grpc", "grpc-tls"]);
  expect(report.instances.map((i) => i.key).sort()).toEqual(["bun/grpc-js", "bun/grpc-js-tls", "bun/hello", "bun/hello-tls", "bun/hello-ws", "bun/native-h2", "bun/native-ws"]);
  const expected: Array<[string, string, number, "request" | "message"]> = [
    ["bun/hello", "h2c", 16, "request"], ["bun/native-h2", "h2c", 16, "request"],
    ["bun/hello-ws", "echo-ws", 64, "message"], ["bun/native-ws", "echo-ws", 64, "message"],
    ["bun/hello", "grpc", 16, "request"], ["bun/grpc-js", "grpc", 16, "request"],
    ["bun/hello-tls", "grpc-tls", 16, "request"], ["bun/grpc-js-tls", "grpc-tls", 16, "request"],
  ];
  expect(report.summary.map((r) => `${r.instance} ${r.scenario}`).sort()).toEqual(expected.map(([i, s]) => `${i} ${s}`).sort());
  for (const [instance, scenario, connections, unit] of expected) {
    const row = report.summary.find((r) => r.instance === instance && r.scenario === scenario)!;
    expect({ instance, scenario, valid: row.validRuns, why: row.invalid, connections: row.connections, unit: row.unit })
      .toEqual({ instance, scenario, valid: 1, why: [], connections, unit });
    // One second on a loaded two-core machine: thousands at the least (grpc-js, the slowest, did ~12,000/s here).
    expect(row.rps.median).toBeGreaterThan(1000);
    expect(row.cpuPerRequestUs).toBeGreaterThan(0);
    expect(row.cpuPerRequestUs).toBeLessThan(1000);
    expect(row.capacity.median).toBeCloseTo(1e6 / row.cpuPerRequestUs, -2);
    expect(row.errors).toBe(0);
    const runs = report.runs.filter((r) => r.instance === instance && r.scenario === scenario);
    expect(runs.map((r) => r.run)).toEqual([0, 1]);
    expect(runs[1]!.load.requests).toBeGreaterThan(1000);
  }
  // The WebSocket rows carry the echo's round trip; h2load's rows have no latency figure.
  expect(report.summary.find((r) => r.instance === "bun/hello-ws")!.latencyP50Us).toBeGreaterThan(0);
  // The runtime's own server is each protocol's reference.
  expect(report.summary.find((r) => r.instance === "bun/hello" && r.scenario === "h2c")!.vsNative).toBeGreaterThan(0);
  expect(report.summary.find((r) => r.instance === "bun/hello" && r.scenario === "grpc")!.vsNative).toBeGreaterThan(0);

  for (const title of ["### h2c (-c 16 -m 32) · 16 connections", "### WebSocket echo (64 × 32 B) · 64 connections", "### gRPC unary health Check (-c 16 -m 32) · 16 connections"]) {
    expect(stdout).toContain(title);
  }
  expect(stdout).toContain("| server | capacity/core msg/s (min–max) | msg/s median (min–max) |");
  expect(stdout).toContain("| server | capacity/core req/s (min–max) | req/s median (min–max) |");
  // The default back end's rows name the back end that served (syscall where it can run).
  const io = report.instances.find((i) => i.key === "bun/hello")!.io!;
  expect(["socket", "syscall"]).toContain(io);
  expect(report.instances.find((i) => i.key === "bun/hello-ws")!.io).toBe(io);
  for (const label of ["Bun.serve http2 (bun)", "Bun.serve websocket (bun)", "@grpc/grpc-js (bun)", `hello-server default, io ${io} ws-echo (bun)`, `hello-server default, io ${io} (bun)`]) expect(stdout).toContain(`| ${label} |`);
  const md = readFileSync(join(out, "report.md"), "utf8");
  expect(md).toContain("h2load");
  for (const f of ["capacity.svg", "chart.svg"]) {
    const svg = readFileSync(join(out, f), "utf8");
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toContain("msg/s");
  }
}, 90_000);
