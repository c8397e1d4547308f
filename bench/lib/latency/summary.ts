/**
 * Latency at fixed rates in the comparison (issue 20): which rates (shares
 * of the slowest server's capacity measured in the same session, or req/s),
 * one row per server and rate from the open-loop runs (their histograms
 * merged, so several runs give the percentiles of all their requests),
 * and the tables. Only valid runs are reported as a server's latency: a
 * run that could not hold its rate, or whose generator sent late, or that
 * saw errors or wrong bodies, is listed with its reasons instead. Pure.
 */
import type { LatencyOptions, RateSpec } from "../cli/compare-args.ts";
import type { SummaryRow } from "../report/summarize.ts";
import type { Table } from "../report/table.ts";
import type { InstanceInfo } from "../report/summarize.ts";
import { decodeHistogram, newHistogram, percentiles, spectrum, type Percentiles } from "../../openloop/histogram.ts";
import type { OpenLoopResult } from "../../openloop/result.ts";
import { median } from "../measure/stats.ts";

/** A resolved rate of the pass. */
export interface Rate {
  label: string;
  rps: number;
  /** Share of the basis, for --rates N%. */
  share?: number;
}

/** What --rates N% are shares of. */
export interface RateBasis {
  instance: string;
  label: string;
  /** Its keep-alive capacity per core (median of the valid runs). */
  capacityPerCore: number;
  serverCores: number;
  /** capacityPerCore × serverCores: the rate 100% stands for. */
  rps: number;
}

/** One open-loop run of one server at one rate. */
export interface LatencyRecord {
  instance: string;
  rateLabel: string;
  rate: number;
  run: number;
  /** The generator's result (histograms included); absent when it could not run. */
  result?: OpenLoopResult;
  /** utime+stime of the server's processes over the run, µs. */
  serverCpuUs: number;
  valid: boolean;
  invalidReasons: string[];
}

export interface LatencyRow {
  instance: string;
  label: string;
  runtime: string | undefined;
  kindId: string;
  rateLabel: string;
  rate: number;
  runs: number;
  validRuns: number;
  /** Median achieved req/s of the valid runs. */
  achieved: number;
  /** Percentiles of all requests of the valid runs (histograms merged), µs. */
  latencyUs: Percentiles;
  spectrum: Array<[number, number]>;
  /** Worst send-lateness p99 of the valid runs, µs. */
  latenessP99Us: number;
  /** Server CPU over the run / wall time (1 = one core busy), median of the valid runs. */
  serverCpu: number;
  invalid: string[];
}

export interface LatencySection {
  options: LatencyOptions;
  basis?: RateBasis;
  rates: Rate[];
  records: LatencyRecord[];
  summary: LatencyRow[];
}

/**
 * Absolute rates from the specs. Shares are of the slowest server's
 * keep-alive capacity per core (at the first connection count) times the
 * server's CPUs: a rate every server can serve with the CPU it has, so the
 * same share loads the fastest server least. Shares are dropped, with a
 * note, when no server has a capacity figure.
 */
export function resolveRates(specs: readonly RateSpec[], rows: readonly SummaryRow[], serverCores: number): { rates: Rate[]; basis?: RateBasis; notes: string[] } {
  const keep = rows.filter((r) => r.scenario === "keepalive" && r.validRuns > 0 && r.capacity.n > 0 && Number.isFinite(r.capacity.median));
  const first = Math.min(...keep.map((r) => r.connections));
  const slowest = keep.filter((r) => r.connections === first).sort((a, b) => a.capacity.median - b.capacity.median)[0];
  const basis = slowest && { instance: slowest.instance, label: slowest.label, capacityPerCore: slowest.capacity.median, serverCores, rps: slowest.capacity.median * serverCores };
  const notes: string[] = [];
  const rates: Rate[] = [];
  for (const s of specs) {
    if (s.rps !== undefined) rates.push({ label: s.label, rps: s.rps });
    else if (basis) rates.push({ label: s.label, rps: Math.max(1, Math.round(s.share * basis.rps)), share: s.share });
  }
  if (!basis && specs.some((s) => s.share !== undefined)) notes.push("latency: no server has a valid keep-alive capacity figure, so the --rates shares were skipped");
  return { rates, basis, notes };
}

/** One row per server and rate. */
export function summarizeLatency(instances: readonly InstanceInfo[], rates: readonly Rate[], records: readonly LatencyRecord[]): LatencyRow[] {
  const rows: LatencyRow[] = [];
  for (const rate of rates) {
    for (const inst of instances) {
      const mine = records.filter((r) => r.instance === inst.key && r.rateLabel === rate.label);
      if (mine.length === 0) continue;
      const valid = mine.filter((r) => r.valid && r.result);
      const merged = newHistogram();
      for (const r of valid) merged.add(decodeHistogram(r.result!.histograms.latency));
      rows.push({
        instance: inst.key, label: inst.label, runtime: inst.runtime, kindId: inst.kindId,
        rateLabel: rate.label, rate: rate.rps, runs: mine.length, validRuns: valid.length,
        achieved: median(valid.map((r) => r.result!.achievedRate)),
        latencyUs: percentiles(merged),
        spectrum: spectrum(merged),
        latenessP99Us: valid.length ? Math.max(...valid.map((r) => r.result!.latenessUs.p99)) : NaN,
        serverCpu: median(valid.map((r) => r.serverCpuUs / r.result!.wallUs)),
        invalid: [...new Set(mine.flatMap((r) => r.invalidReasons))],
      });
    }
  }
  return rows;
}

/** µs as ms with about three significant digits ("0.087", "1.23", "12.3", "1,002"). */
export function formatMs(us: number): string {
  if (!Number.isFinite(us)) return "—";
  const ms = us / 1000;
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return Math.round(ms).toLocaleString("en-US");
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—");

/** The title of a rate: "50% of the slowest capacity (21,000 req/s)" or "20,000 req/s". */
export function rateTitle(rate: Rate): string {
  return rate.share !== undefined ? `${rate.label} of the slowest capacity (${int(rate.rps)} req/s)` : `${int(rate.rps)} req/s`;
}

/** One table per rate: every server's percentiles, or why its runs did not count. */
export function latencyTables(section: LatencySection): Table[] {
  const o = section.options;
  return section.rates.map((rate) => ({
    title: `latency at ${rateTitle(rate)} · keep-alive, ${o.connections} connections, open-loop (${o.arrivals}), ${o.durationS} s${o.runs > 1 ? ` × ${o.runs} runs` : ""}`,
    head: ["server", "achieved req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "server CPU", "send lateness p99 µs", "notes"],
    rows: section.summary.filter((r) => r.rateLabel === rate.label).map((r) => {
      if (r.validRuns === 0) return [r.label, "invalid", "—", "—", "—", "—", "—", "—", "—", r.invalid.slice(0, 2).join("; ")];
      const l = r.latencyUs;
      const notes = r.validRuns < r.runs ? `${r.runs - r.validRuns}/${r.runs} runs invalid: ${r.invalid.slice(0, 2).join("; ")}` : "";
      return [r.label, int(r.achieved), formatMs(l.p50), formatMs(l.p90), formatMs(l.p99), formatMs(l.p999), formatMs(l.max),
        Number.isFinite(r.serverCpu) ? `${Math.round(r.serverCpu * 100)}%` : "—", int(r.latenessP99Us), notes];
    }),
  }));
}

/** Method lines of the latency pass (report.md, index.html). */
export function latencyMethod(section: LatencySection, generatorCpus: string): string[] {
  const o = section.options;
  const b = section.basis;
  return [
    `Latency at fixed rates: bench/openloop/ (open-loop, on the project's epoll/libc FFI, pinned to CPU ${generatorCpus}): requests leave on a schedule fixed before the run (${o.arrivals === "poisson" ? "Poisson arrivals" : "evenly spaced"}) over ${o.connections} keep-alive connections, one request at a time each; a request that finds every connection busy waits, and its latency counts from its scheduled send time to the last byte of the answer (wrk2's correction for coordinated omission), recorded in an HdrHistogram (3 significant digits; histograms in report.json). ${o.durationS} s per server and rate after a 0.5 s warm-up at the same rate (not recorded), ${o.runs} run(s), after the throughput runs; several runs are merged into one histogram.`,
    b ? `Rates given as N% are shares of the slowest server's keep-alive capacity per core measured above (${b.label}: ${int(b.capacityPerCore)} req/s per core × ${b.serverCores} server CPU(s) = ${int(b.rps)} req/s).` : `Rates in req/s as given.`,
    `A latency run counts only if it sent ≥ 99% of its schedule within the window, its own send lateness (how late each request left after it could have) had p99 ≤ ${o.maxLatenessP99Us} µs, and every answer was a 2xx with the exact body; otherwise the row says why and shows no latency.`,
  ];
}
