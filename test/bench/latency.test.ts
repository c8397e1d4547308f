/** compare's latency pass, pure parts: the flags, the rates, the rows, the tables, the charts, the diff. */
import { expect, test } from "bun:test";
import { parseCompareArgs } from "../../bench/lib/cli/compare-args.ts";
import { diffLatency, judgeLower, latencyDiffTable } from "../../bench/lib/latency/diff.ts";
import { formatMs, latencyTables, resolveRates, summarizeLatency, type LatencyRecord, type LatencySection } from "../../bench/lib/latency/summary.ts";
import { logAxis, nines, renderLatencyChart, renderSpectrumChart } from "../../bench/lib/latency/svg.ts";
import type { Report } from "../../bench/lib/report/output.ts";
import type { InstanceInfo, SummaryRow } from "../../bench/lib/report/summarize.ts";
import { xmlProblems } from "../../bench/lib/report/xml.ts";
import { encodeHistogram, newHistogram, percentiles, recordUs } from "../../bench/openloop/histogram.ts";
import type { OpenLoopResult } from "../../bench/openloop/result.ts";

test("--rates and --rate: shares and req/s, sorted, deduplicated; --quick shortens the latency runs", () => {
  const o = parseCompareArgs(["--rates", "50%,25%", "--rate", "20000,10000", "--rates", "25%"]);
  expect(o.latency.rates).toEqual([
    { label: "25%", share: 0.25 }, { label: "50%", share: 0.5 },
    { label: "10,000 req/s", rps: 10000 }, { label: "20,000 req/s", rps: 20000 },
  ]);
  expect(o.latency.durationS).toBe(10);
  expect(parseCompareArgs(["--quick", "--rates", "50%"]).latency.durationS).toBe(1);
  expect(parseCompareArgs(["--quick", "--rates", "50%", "--latency-duration", "3"]).latency.durationS).toBe(3);
  expect(parseCompareArgs([]).latency.rates).toEqual([]);
  const p = parseCompareArgs(["--rate", "5000", "--poisson", "--latency-runs", "4", "--latency-connections", "128", "--max-lateness-us", "500"]).latency;
  expect(p).toMatchObject({ arrivals: "poisson", runs: 4, connections: 128, maxLatenessP99Us: 500 });
});

test("--rates refuses what it cannot mean", () => {
  expect(() => parseCompareArgs(["--rates", "50"])).toThrow("shares like 25%");
  expect(() => parseCompareArgs(["--rates", "0%"])).toThrow("above 0");
  expect(() => parseCompareArgs(["--rates", "200%"])).toThrow("at most 150%");
  expect(() => parseCompareArgs(["--rate", "0"])).toThrow("integers");
  expect(() => parseCompareArgs(["--rates", "50%", "--scenarios", "close"])).toThrow("keepalive");
  expect(() => parseCompareArgs(["--preset", "fast"])).toThrow("techempower or latency");
});

test("--preset latency: keep-alive and connection-close capacities, then 50/75/90% of each server's own, both passes, 10 s each; flags still win", () => {
  const o = parseCompareArgs(["--preset", "latency"]);
  expect(o.scenarios).toEqual(["keepalive", "close"]);
  expect(o.latency.rates).toEqual([{ label: "50% own", share: 0.5, own: true }, { label: "75% own", share: 0.75, own: true }, { label: "90% own", share: 0.9, own: true }]);
  expect(o.latency.modes).toEqual(["keepalive", "close"]);
  expect(o.latency.latenessRule).toBe("held");
  expect(o.latency).toMatchObject({ durationS: 10, runs: 1, connections: 64, arrivals: "constant" });
  expect(o.runs).toBe(3);
  expect(parseCompareArgs(["--preset", "latency", "--rate", "1000"]).latency.rates).toEqual([{ label: "1,000 req/s", rps: 1000 }]);
  expect(parseCompareArgs(["--preset", "latency", "--scenarios", "keepalive,close"]).scenarios).toEqual(["keepalive", "close"]);
  expect(parseCompareArgs(["--own-rates", "50%", "--strict-lateness", "--generator-cpus", "1-3"]).latency).toMatchObject({ latenessRule: "strict", generatorCpus: [1, 2, 3], modes: ["keepalive"] });
  // A close pass with shares needs the close capacities.
  expect(() => parseCompareArgs(["--own-rates", "50%", "--latency-modes", "keepalive,close", "--scenarios", "keepalive"])).toThrow("close scenario");
  expect(() => parseCompareArgs(["--latency-modes", "pipelined"])).toThrow("keepalive or close");
});

test("resolveRates --own-rates: each server at a share of its own capacity in each pass's scenario; a server without one is absent", () => {
  const rows = [row("fast", 100_000), row("slow", 20_000), row("fast", 10_000, 3, "close"), row("broken", 50_000, 0)];
  const { rates, notes } = resolveRates([{ label: "50% own", share: 0.5, own: true }], rows, 2, ["keepalive", "close"]);
  expect(rates).toEqual([
    { label: "50% own", mode: "keepalive", rps: 100_000, share: 0.5, perInstance: { fast: 100_000, slow: 20_000 } },
    { label: "50% own · close", mode: "close", rps: 10_000, share: 0.5, perInstance: { fast: 10_000 } },
  ]);
  expect(notes).toEqual([]);
});

function row(instance: string, capacity: number, valid = 3, scenario: SummaryRow["scenario"] = "keepalive", connections = 64): SummaryRow {
  return {
    instance, label: `label ${instance}`, kindId: "hello", runtime: "bun", scenario, connections,
    rps: { median: 1, min: 1, max: 1, n: valid }, capacity: valid ? { median: capacity, min: capacity, max: capacity, n: valid } : { median: NaN, min: NaN, max: NaN, n: 0 },
    cvRps: 0, cvCapacity: 0, noisy: false, validRuns: valid, measuredRuns: 3, invalid: [], latencyP50Us: 1, latencyP99Us: 1, errors: 0,
    cpuPerRequestUs: 1e6 / capacity, peakRssBytes: 0, syscallsPerRequest: NaN, topSyscalls: "", generatorBound: false, foreignCpuShare: 0, vsNative: NaN, vsNginx: NaN,
  };
}

test("resolveRates: shares of the slowest valid keep-alive capacity × server CPUs; req/s as given", () => {
  const rows = [row("a", 120_000), row("b", 40_000), row("c", 10_000, 0), row("d", 5_000, 3, "close"), row("e", 1_000, 3, "keepalive", 1024)];
  const { rates, basis, notes } = resolveRates([{ label: "25%", share: 0.25 }, { label: "3,000 req/s", rps: 3000 }], rows, 2);
  expect(basis).toEqual({ instance: "b", label: "label b", capacityPerCore: 40_000, serverCores: 2, rps: 80_000 });
  expect(rates).toEqual([{ label: "25%", mode: "keepalive", rps: 20_000, share: 0.25 }, { label: "3,000 req/s", mode: "keepalive", rps: 3000 }]);
  expect(notes).toEqual([]);
  const none = resolveRates([{ label: "25%", share: 0.25 }, { label: "3,000 req/s", rps: 3000 }], [row("c", 10_000, 0)], 1);
  expect(none.rates).toEqual([{ label: "3,000 req/s", mode: "keepalive", rps: 3000 }]);
  expect(none.notes[0]).toContain("skipped");
});

const inst = (key: string): InstanceInfo => ({ key, label: `label ${key}`, kindId: "hello", runtime: "bun", native: false, startupMs: [], peakRssBytes: 0 });

function record(instance: string, rateLabel: string, rate: number, values: number[], valid = true, run = 1): LatencyRecord {
  const h = newHistogram();
  for (const v of values) recordUs(h, v);
  const p = percentiles(h);
  const result = {
    achievedRate: rate, latencyUs: p, latenessUs: { ...p, p99: 10 }, wallUs: 1e6, histograms: { latency: encodeHistogram(h), lateness: "" },
    valid, invalidReasons: valid ? [] : ["send lateness p99 900 µs > 200 µs: the generator could not hold its schedule"],
  } as unknown as OpenLoopResult;
  return { instance, rateLabel, rate, run, result, serverCpuUs: 250_000, valid, invalidReasons: result.invalidReasons };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function section(): LatencySection {
  const rates = [{ label: "25%", rps: 10_000, share: 0.25 }, { label: "50%", rps: 20_000, share: 0.5 }];
  const records = [
    record("a", "25%", 10_000, range(100, 1099)), record("a", "25%", 10_000, range(1100, 2099), true, 2),
    record("b", "25%", 10_000, range(200, 1199)),
    record("a", "50%", 20_000, range(150, 1149)),
    record("b", "50%", 20_000, range(1, 1000), false),
  ];
  const options = { rates: [], durationS: 10, runs: 1, connections: 64, arrivals: "constant" as const, maxLatenessP99Us: 200, latenessRule: "held" as const, modes: ["keepalive" as const], generatorCpus: [] };
  return { options, rates, records, summary: summarizeLatency([inst("a"), inst("b")], rates, records) };
}

test("summarizeLatency: runs merged into one histogram; invalid runs give no latency, only their reasons", () => {
  const s = section();
  const a25 = s.summary.find((r) => r.instance === "a" && r.rateLabel === "25%")!;
  expect(a25.runs).toBe(2);
  expect(a25.validRuns).toBe(2);
  // 100..2099 µs merged: p50 near 1100, max 2099.
  expect(Math.abs(a25.latencyUs.p50 - 1100)).toBeLessThan(2);
  expect(Math.abs(a25.latencyUs.max - 2099)).toBeLessThan(3);
  expect(a25.latencyUs.count).toBe(2000);
  expect(a25.serverCpu).toBeCloseTo(0.25, 6);
  expect(a25.spectrum[0]).toEqual([0, 100]);
  const b50 = s.summary.find((r) => r.instance === "b" && r.rateLabel === "50%")!;
  expect(b50.validRuns).toBe(0);
  expect(b50.latencyUs.p50).toBeNaN();
  expect(b50.invalid[0]).toContain("send lateness");
});

test("latencyTables: one per rate, percentiles in ms, invalid rows say why", () => {
  const tables = latencyTables(section());
  expect(tables.map((t) => t.title)).toEqual([
    "latency at 25% of the slowest keep-alive capacity (10,000 req/s) · keep-alive, 64 connections, open-loop (constant), 10 s",
    "latency at 50% of the slowest keep-alive capacity (20,000 req/s) · keep-alive, 64 connections, open-loop (constant), 10 s",
  ]);
  expect(tables[0]!.head).toEqual(["server", "target req/s", "achieved req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "server CPU", "generator CPU", "send lateness p99 µs", "verdict"]);
  expect(tables[0]!.rows[0]!.slice(0, 4)).toEqual(["label a", "10,000", "10,000", "1.10"]);
  expect(tables[0]!.rows[0]![11]).toBe("valid");
  // No latency for a run that did not count; its CPU and lateness are still shown, and the verdict says why.
  expect(tables[1]!.rows[1]!.slice(0, 4)).toEqual(["label b", "20,000", "—", "—"]);
  expect(tables[1]!.rows[1]![8]).toBe("25%");
  expect(tables[1]!.rows[1]![10]).toBe("10");
  expect(tables[1]!.rows[1]![11]).toStartWith("invalid: send lateness");
});

test("formatMs keeps about three significant digits", () => {
  expect([87, 1234, 12_345, 123_456, 1_002_000, NaN].map(formatMs)).toEqual(["0.087", "1.23", "12.3", "123", "1,002", "—"]);
});

const series = [
  { key: "a", label: "hello-server (bun) <fast>", runtime: "bun", shade: 0 },
  { key: "b", label: "Bun.serve (bun)", runtime: "bun", shade: 1 },
];

test("latency.svg: well-formed, a line per server and panel with data, invalid points left out", () => {
  const s = section();
  const svg = renderLatencyChart({ title: "t", subtitle: "s & co", rows: s.summary, rates: s.rates, series });
  expect(xmlProblems(svg)).toEqual([]);
  expect(svg).toContain("hello-server (bun) &lt;fast&gt;");
  // a: two points per panel; b: one valid point per panel (a path with one point).
  expect(svg.match(/class="line"/g)?.length).toBe(6);
  expect(svg.match(/<circle /g)?.length).toBe(3 * 3);
  for (const p of ["p50", "p99", "p99.9"]) expect(svg).toContain(`${p} latency (ms, log) vs target req/s`);
});

test("spectrum.svg: the nines axis, and the maximum at the right edge", () => {
  expect(nines(90)).toBeCloseTo(1, 12);
  expect(nines(99.9)).toBeCloseTo(3, 9);
  const s = section();
  const rows = s.summary.filter((r) => r.rateLabel === "25%");
  const svg = renderSpectrumChart({ title: "t", subtitle: "s", rows, series });
  expect(xmlProblems(svg)).toEqual([]);
  expect(svg.match(/class="line"/g)?.length).toBe(2);
  expect(svg).toContain(">99.9%<");
  expect(svg).toContain(">max<");
});

test("logAxis spans whole decades and ticks 1-2-5 when narrow", () => {
  const { ticks, y } = logAxis([0.15, 3], 0, 100);
  expect(ticks).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
  expect(y(0.1)).toBeCloseTo(100, 9);
  expect(y(10)).toBeCloseTo(0, 9);
});

test("--diff: latency rows matched by rate label, lower is better", () => {
  const a = { latency: section(), instances: [] } as unknown as Report;
  const slower = section();
  slower.records = slower.records.map((r) => r.instance === "a" && r.rateLabel === "25%" ? record("a", "25%", 10_000, range(200, 2199), true, r.run) : r);
  slower.summary = summarizeLatency([inst("a"), inst("b")], slower.rates, slower.records);
  const rows = diffLatency(a, { latency: slower, instances: [] } as unknown as Report);
  // b at 50% has no valid run: not compared.
  expect(rows.map((r) => `${r.instance} ${r.rateLabel}`)).toEqual(["a 25%", "b 25%", "a 50%"]);
  const t = latencyDiffTable(rows);
  expect(t.rows[0]!.slice(0, 7)).toEqual(["label a", "25%", "10,000", "10,000", "1.10", "1.20", "+9.1%"]);
  expect(t.rows[0]![13]).toContain("too few runs");
  expect(t.rows[0]![13]).toContain("--latency-runs 4");
  expect(diffLatency({} as Report, a)).toEqual([]);
});

test("judgeLower: a latency that went down is B better", () => {
  expect(judgeLower([10, 11, 10, 12, 11], [5, 6, 5, 6, 5]).verdict).toBe("B better");
  expect(judgeLower([5, 6, 5, 6, 5], [10, 11, 10, 12, 11]).verdict).toBe("B worse");
  expect(judgeLower([5, 6, 5, 6, 5], [10, 11, 10, 12, 11]).text).toStartWith("B worse");
});
