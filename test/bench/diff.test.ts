/** --diff: the verdicts, the machine check, and the files it writes (synthetic reports). */
import { expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { diffReports, judge, machineMismatch, runDiff } from "../../bench/lib/report/diff.ts";
import type { Report } from "../../bench/lib/report/output.ts";
import type { RunRecord } from "../../bench/lib/types.ts";

function run(instance: string, n: number, rps: number, cpuUs: number, connections = 64, valid = true): RunRecord {
  return {
    instance, scenario: "keepalive", connections, run: n,
    load: { durationUs: 1e6, requests: rps, bytes: 0, errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 }, latencyUs: { p50: 1, p90: 1, p99: 1, max: 1, mean: 1 }, checked: 0, bad: 0 },
    generator: { cpuUs: 0, wallUs: 1e6, cores: 1 }, serverCpuUs: rps * cpuUs, requestsPerSec: rps, cpuPerRequestUs: cpuUs,
    valid, invalidReasons: valid ? [] : ["socket errors"], generatorBound: false, foreignCpuShare: 0,
  };
}

function report(runs: RunRecord[], host = "box"): Report {
  return {
    version: 1, startedAt: "2026-12-01T20:00:00Z", finishedAt: "2026-12-01T20:10:00Z", command: "bun bench/compare.ts",
    options: { durationS: 5, runs: 5 } as Report["options"],
    machine: { cpuModel: "AMD EPYC", cores: 2, kernel: "Linux 6.18", memoryBytes: 8e9, hostname: host },
    runtimes: [{ name: "bun", kind: "bun", path: "/bun", version: "1.4.5" }], missingRuntimes: [], nginx: undefined,
    generator: { tool: "wrk", version: "wrk 4.1.0", cpus: "1", threads: 1 }, cpuPlan: { server: "0", serverCores: 1, generator: "1", generatorCores: 1, shared: false },
    method: [], notes: [], instances: [{ key: "bun/hello", label: "hello-server (bun)", kindId: "hello", runtime: "bun", native: false, startupMs: [], peakRssBytes: 0 }],
    runs, strace: [], executables: [], summary: [],
  };
}

const five = (cpu: number[], rps: number[]) => [run("bun/hello", 0, 1000, 10), ...cpu.map((c, i) => run("bun/hello", i + 1, rps[i]!, c))];

test("judge: better, worse, no change, too few runs", () => {
  expect(judge([100, 101, 99, 100, 102], [120, 121, 119, 122, 118])).toMatchObject({ verdict: "B better" });
  expect(judge([100, 101, 99, 100, 102], [80, 81, 79, 82, 78]).verdict).toBe("B worse");
  expect(judge([100, 101, 99, 100, 102], [80, 81, 79, 82, 78]).change).toBeCloseTo(-0.2, 2);
  expect(judge([100, 110, 90, 105, 95], [101, 109, 91, 104, 96]).verdict).toBe("no significant change");
  // 3 vs 3 can never reach p < 0.05, however far apart: said so, not hidden.
  const few = judge([100, 100, 100], [200, 200, 200]);
  expect(few.verdict).toBe("too few runs");
  expect(few.text).toContain("smallest possible p is 0.10");
  expect(judge([], [1, 2]).verdict).toBe("missing");
});

test("diffReports: per-run capacity (1e6 / CPU µs) and req/s; invalid runs are left out", () => {
  const a = report(five([10, 10.1, 9.9, 10, 10.2], [50_000, 51_000, 49_000, 50_500, 50_200]));
  const bRuns = five([8, 8.1, 7.9, 8, 8.2], [50_100, 50_900, 49_200, 50_300, 50_000]);
  bRuns.push(run("bun/hello", 6, 1, 1000, 64, false)); // invalid: must not count
  const rows = diffReports(a, report(bRuns));
  expect(rows.length).toBe(1);
  expect(rows[0]!.capacity[0].median).toBeCloseTo(1e6 / 10, 6);
  expect(rows[0]!.capacity[1]).toMatchObject({ median: 1e6 / 8, n: 5 });
  expect(rows[0]!.capacityVerdict.verdict).toBe("B better");
  expect(rows[0]!.rpsVerdict.verdict).toBe("no significant change");
  // Different connection counts are different rows: nothing in common here.
  expect(diffReports(a, report(five([8], [1]).map((r) => ({ ...r, connections: 256 }))))).toEqual([]);
});

test("runDiff refuses different machines unless --force, and writes diff.md + diff.html", () => {
  const dir = mkdtempSync(join(os.tmpdir(), "diff-test-"));
  try {
    const a = report(five([10, 10.1, 9.9, 10, 10.2], [5, 5, 5, 5, 5]));
    const b = report(five([12, 12.1, 11.9, 12, 12.2], [5, 5, 5, 5, 5]), "other-box");
    for (const [name, r] of [["a", a], ["b", b]] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "report.json"), JSON.stringify(r));
    }
    expect(machineMismatch(a, b)).toEqual(["hostname: box vs other-box"]);
    const out = join(dir, "out");
    expect(() => runDiff(join(dir, "a"), join(dir, "b"), { force: false, out, root: dir })).toThrow(/different machines.*hostname.*--force/);
    expect(existsSync(out)).toBe(false);
    const { md } = runDiff(join(dir, "a"), join(dir, "b"), { force: true, out, root: dir });
    expect(md).toContain("Mann–Whitney");
    expect(md).toContain("| hello-server (bun) | keepalive | 64 |");
    expect(md).toContain("B worse");
    expect(readFileSync(join(out, "diff.md"), "utf8")).toBe(md);
    expect(readFileSync(join(out, "diff.html"), "utf8")).toContain('<table class="sortable">');
    expect(() => runDiff(join(dir, "a"), join(dir, "missing"), { force: true, out, root: dir })).toThrow(/cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { summarizeRuns } from "../../bench/lib/report/summarize.ts";

test("summary rows: capacity per run summarized, CV over 10% is noisy, one row per connection count", () => {
  const inst = report([]).instances;
  const runs = [
    run("bun/hello", 0, 1000, 10, 256),
    run("bun/hello", 1, 50_000, 10, 64), run("bun/hello", 2, 51_000, 10.5, 64), run("bun/hello", 3, 49_000, 9.5, 64),
    run("bun/hello", 1, 40_000, 10, 256), run("bun/hello", 2, 60_000, 20, 256), run("bun/hello", 3, 50_000, 12, 256),
  ];
  const rows = summarizeRuns(inst, runs, [], ["keepalive"]);
  expect(rows.map((r) => r.connections)).toEqual([64, 256]);
  expect(rows[0]!.capacity).toEqual({ median: 100_000, min: 1e6 / 10.5, max: 1e6 / 9.5, n: 3 });
  expect(rows[0]!.noisy).toBe(false); // CVs of 2% and 5%
  expect(rows[1]!.noisy).toBe(true); // capacity 100k, 50k, 83k: CV 33%
  expect(rows[1]!.cvCapacity).toBeGreaterThan(0.1);
});

test("a warm-up with wrong answers disqualifies the runs; one that only got no responses does not", () => {
  const inst = report([]).instances;
  const measured = [run("bun/hello", 1, 50_000, 10), run("bun/hello", 2, 50_000, 10)];
  const wrong = { ...run("bun/hello", 0, 1000, 10, 16384, false), invalidReasons: ["3 wrong responses of 10 checked"] };
  wrong.load = { ...wrong.load, bad: 3, checked: 10 };
  const bad = summarizeRuns(inst, [wrong, ...measured], [], ["keepalive"])[0]!;
  expect(bad.validRuns).toBe(0);
  expect(bad.invalid).toEqual(["validation (16384 connections): 3 wrong responses of 10 checked"]);
  const idle = { ...run("bun/hello", 0, 0, NaN, 16384, false), invalidReasons: ["no responses"] };
  const ok = summarizeRuns(inst, [idle, ...measured], [], ["keepalive"])[0]!;
  expect(ok.validRuns).toBe(2);
  expect(ok.invalid).toEqual(["validation (16384 connections): no responses"]);
});

test("diffReports matches hello-server rows by the back end that served: an old `hello` (--io socket) is the new `hello-socket`", () => {
  const info = (key: string, kindId: string, label: string, io?: string) => ({ key, label, kindId, runtime: "bun", native: false, startupMs: [], peakRssBytes: 0, ...(io ? { io } : {}) });
  const runsOf = (key: string, cpu: number) => [run(key, 0, 1000, cpu), ...[1, 2, 3, 4, 5].map((n) => run(key, n, 50_000, cpu))];
  // Before: `hello` was the socket back end, its label said so.
  const a = { ...report([...runsOf("bun/hello", 10), ...runsOf("bun/hello-syscall", 5)]),
    instances: [info("bun/hello", "hello", "hello-server --io socket (bun)"), info("bun/hello-syscall", "hello-syscall", "hello-server --io syscall (bun)")] };
  // Now: `hello` is the default (here syscall), beside hello-socket and hello-syscall.
  const b = { ...report([...runsOf("bun/hello", 4), ...runsOf("bun/hello-socket", 8), ...runsOf("bun/hello-syscall", 4)]),
    instances: [info("bun/hello", "hello", "hello-server default, io syscall (bun)", "syscall"), info("bun/hello-socket", "hello-socket", "hello-server --io socket (bun)", "socket"), info("bun/hello-syscall", "hello-syscall", "hello-server --io syscall (bun)", "syscall")] };
  const rows = diffReports(a, b);
  const medians = Object.fromEntries(rows.map((r) => [r.instance, [r.capacity[0].median, r.capacity[1].median]]));
  // socket ↔ socket (10 → 8 µs), syscall ↔ syscall (5 → 4 µs); the new default row has no partner in A.
  expect(medians).toEqual({ "bun/hello-socket": [1e5, 1.25e5], "bun/hello-syscall": [2e5, 2.5e5] });
  // Two reports of the new naming: the default rows pair with each other, apart from hello-syscall.
  const both = diffReports(b, b).map((r) => r.instance).sort();
  expect(both).toEqual(["bun/hello-socket", "bun/hello-syscall", "bun/hello-syscall (default)"]);
  // A new run of the default alone (on syscall) pairs with an old run's hello-syscall.
  const alone = { ...report(runsOf("bun/hello", 4)), instances: [info("bun/hello", "hello", "hello-server default, io syscall (bun)", "syscall")] };
  expect(diffReports(a, alone).map((r) => r.instance)).toEqual(["bun/hello-syscall"]);
});
