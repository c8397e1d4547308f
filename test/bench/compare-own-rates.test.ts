/**
 * The latency preset's parts end to end, small (about 30 s): one server,
 * keep-alive and connection-close capacities, then the server at 5% of its
 * own capacity in both passes, through two generator processes on one
 * shared schedule. Checks the plumbing and the report, not the machine:
 * whatever the verdict of a row, valid rows carry latency and the others
 * none, and each row shows its server and generator CPU and lateness.
 * Low shares so a busy test machine still keeps up; 1 s runs.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { VERDICTS } from "../../bench/lib/latency/verdict.ts";
import { xmlProblems } from "../../bench/lib/report/xml.ts";
import { runCompare } from "./run-compare.ts";

const out = mkdtempSync(join(os.tmpdir(), "compare-own-rates-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test("--own-rates 5% --latency-modes keepalive,close --generator-cpus: each pass at a share of the server's own capacity, merged generators, a verdict per row", async () => {
  const { stdout, report } = await runCompare(["bench/compare.ts", "--quick", "--only", "bun/hello", "--scenarios", "keepalive,close",
    "--own-rates", "5%", "--latency-modes", "keepalive,close", "--latency-duration", "1", "--latency-connections", "8", "--generator-cpus", "1,1"], out);
  const l = report.latency!;
  expect(l.options).toMatchObject({ latenessRule: "held", modes: ["keepalive", "close"], generatorCpus: [1, 1] });
  expect(l.rates.map((r) => `${r.label} ${r.mode}`)).toEqual(["5% own keepalive", "5% own · close close"]);
  for (const [rate, scenario] of [[l.rates[0]!, "keepalive"], [l.rates[1]!, "close"]] as const) {
    // The target is 5% of this server's own capacity in the pass's scenario × server CPUs.
    const cap = report.summary.find((r) => r.instance === "bun/hello" && r.scenario === scenario)!.capacity.median;
    expect(rate.perInstance!["bun/hello"]).toBe(Math.max(1, Math.round(0.05 * cap * report.cpuPlan.serverCores)));
    const rec = l.records.find((r) => r.rateLabel === rate.label)!;
    expect(rec.rate).toBe(rate.perInstance!["bun/hello"]!);
    expect(rec.generatorProcs).toBe(2);
    // Two processes, one schedule: together they were scheduled the whole of it.
    expect(Math.abs(rec.result!.scheduled - rec.rate)).toBeLessThanOrEqual(2);
    expect(rec.result!.mode).toBe(scenario);
    expect(VERDICTS).toContain(rec.verdict!);
    expect(rec.verdict === "valid").toBe(rec.valid);
  }
  for (const row of l.summary) {
    expect(Number.isFinite(row.serverCpu) && Number.isFinite(row.generatorCpu) && Number.isFinite(row.latenessP99Us)).toBe(true);
    if (row.verdict === "valid") expect(row.latencyUs.p99).toBeGreaterThan(0);
    else expect(Number.isFinite(row.latencyUs.p99), `${row.rateLabel}: ${row.verdict}`).toBe(false); // NaN, written as null in the JSON
  }
  expect(stdout).toContain("### latency at 5% of each server's own keep-alive capacity · keep-alive");
  expect(stdout).toContain("### latency at 5% of each server's own connection-close capacity · connection-close");
  expect(report.method.join("\n")).toContain("p90 ≤ 200 µs");
  for (const file of ["latency.svg", "latency-close.svg"]) {
    if (!l.summary.some((r) => r.validRuns > 0 && l.rates.find((x) => x.label === r.rateLabel)?.mode === (file === "latency.svg" ? "keepalive" : "close"))) continue;
    const svg = readFileSync(join(out, file), "utf8");
    expect(xmlProblems(svg), file).toEqual([]);
    expect(svg).toContain("share of own capacity");
  }
}, 300_000);
