/**
 * Latency at fixed rates in the comparison (issue 20): which rates (shares
 * of the slowest server's capacity measured in the same session, or req/s),
 * one row per server and rate from the open-loop runs (their histograms
 * merged, so several runs give the percentiles of all their requests),
 * and the tables. Only valid runs are reported as a server's latency: a
 * run that could not hold its rate, or whose generator sent late, or that
 * saw errors or wrong bodies, is listed with its reasons instead. Pure.
 */
import type { LatencyMode, LatencyOptions, RateSpec } from "../cli/compare-args.ts";
import type { SummaryRow } from "../report/summarize.ts";
import type { Table } from "../report/table.ts";
import type { InstanceInfo } from "../report/summarize.ts";
import { decodeHistogram, newHistogram, percentiles, spectrum, type Percentiles } from "../../openloop/histogram.ts";
import type { OpenLoopResult } from "../../openloop/result.ts";
import { median } from "../measure/stats.ts";
import { generatorLoad, VERDICTS, type LatencyVerdict } from "./verdict.ts";

/** A resolved rate of the pass. */
export interface Rate {
  /** Unique in the pass ("50%", "50% own", "10,000 req/s", with " · close" in the connection-close pass). */
  label: string;
  /** Keep-alive or one request per connection; absent in reports from before the close pass: keep-alive. */
  mode?: LatencyMode;
  /** req/s (for --own-rates: the highest of the servers' own rates, for the chart's scale). */
  rps: number;
  /** Share of the basis (--rates N%) or of each server's own capacity (--own-rates). */
  share?: number;
  /** --own-rates: req/s per server (its own capacity × share); a server without a capacity figure is absent. */
  perInstance?: Record<string, number>;
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
  /** The target req/s of this server's run. */
  rate: number;
  run: number;
  /** Who limited the run (verdict.ts); absent in reports from before verdicts. */
  verdict?: LatencyVerdict;
  /** Generator processes of the run (--generator-cpus). */
  generatorProcs?: number;
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
  /** Server CPU over the run / wall time (1 = one core busy), median of the runs. */
  serverCpu: number;
  /** Generator CPU per process over the run / wall time, median of the runs. */
  generatorCpu: number;
  /** The verdict of the row: valid when a run counted, else the most telling of its runs' verdicts. */
  verdict: LatencyVerdict;
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
export function resolveRates(specs: readonly RateSpec[], rows: readonly SummaryRow[], serverCores: number, modes: readonly LatencyMode[] = ["keepalive"]): { rates: Rate[]; basis?: RateBasis; notes: string[] } {
  const notes: string[] = [];
  const rates: Rate[] = [];
  let firstBasis: RateBasis | undefined;
  for (const mode of modes) {
    // Capacities of the mode's own scenario, at the first connection count.
    const measured = rows.filter((r) => r.scenario === mode && r.validRuns > 0 && r.capacity.n > 0 && Number.isFinite(r.capacity.median));
    const first = Math.min(...measured.map((r) => r.connections));
    const atFirst = measured.filter((r) => r.connections === first);
    const slowest = [...atFirst].sort((a, b) => a.capacity.median - b.capacity.median)[0];
    const basis = slowest && { instance: slowest.instance, label: slowest.label, capacityPerCore: slowest.capacity.median, serverCores, rps: slowest.capacity.median * serverCores };
    firstBasis ??= basis;
    const suffix = mode === "close" ? " · close" : "";
    for (const s of specs) {
      const label = `${s.label}${suffix}`;
      if (s.rps !== undefined) rates.push({ label, mode, rps: s.rps });
      else if (s.own && atFirst.length > 0) {
        const perInstance = Object.fromEntries(atFirst.map((r) => [r.instance, Math.max(1, Math.round(s.share * r.capacity.median * serverCores))]));
        rates.push({ label, mode, rps: Math.max(...Object.values(perInstance)), share: s.share, perInstance });
      } else if (!s.own && basis) rates.push({ label, mode, rps: Math.max(1, Math.round(s.share * basis.rps)), share: s.share });
    }
    if (!basis && specs.some((s) => s.share !== undefined)) notes.push(`latency: no server has a valid ${mode} capacity figure, so the ${mode} shares were skipped`);
  }
  return { rates, basis: firstBasis, notes };
}

/** One row per server and rate. */
export function summarizeLatency(instances: readonly InstanceInfo[], rates: readonly Rate[], records: readonly LatencyRecord[]): LatencyRow[] {
  const rows: LatencyRow[] = [];
  for (const rate of rates) {
    for (const inst of instances) {
      const mine = records.filter((r) => r.instance === inst.key && r.rateLabel === rate.label);
      if (mine.length === 0) continue;
      const valid = mine.filter((r) => r.valid && r.result);
      const ran = mine.filter((r) => r.result);
      const merged = newHistogram();
      for (const r of valid) merged.add(decodeHistogram(r.result!.histograms.latency));
      rows.push({
        instance: inst.key, label: inst.label, runtime: inst.runtime, kindId: inst.kindId,
        rateLabel: rate.label, rate: mine[0]!.rate, runs: mine.length, validRuns: valid.length,
        achieved: median(valid.map((r) => r.result!.achievedRate)),
        latencyUs: percentiles(merged),
        spectrum: spectrum(merged),
        latenessP99Us: ran.length ? Math.max(...ran.map((r) => r.result!.latenessUs.p99)) : NaN,
        serverCpu: median(ran.map((r) => r.serverCpuUs / r.result!.wallUs)),
        generatorCpu: median(ran.map((r) => generatorLoad(r.result!, r.generatorProcs ?? 1))),
        verdict: rowVerdict(mine),
        invalid: [...new Set(mine.flatMap((r) => r.invalidReasons))],
      });
    }
  }
  return rows;
}

/** A row is valid when one of its runs counted; otherwise the verdict that names a bottleneck wins over a plain "invalid". */
function rowVerdict(records: readonly LatencyRecord[]): LatencyVerdict {
  const seen = new Set(records.map((r) => r.verdict ?? (r.valid ? "valid" : "invalid")));
  return VERDICTS.find((v) => seen.has(v)) ?? "invalid";
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

/** The title of a rate: "50% of the slowest keep-alive capacity (21,000 req/s)" or "20,000 req/s". */
export function rateTitle(rate: Rate): string {
  const label = rate.label.replace(/ · close$/, "");
  if (rate.perInstance) return `${label.replace(/ own$/, "")} of each server's own ${modeName(rate)} capacity`;
  return rate.share !== undefined ? `${label} of the slowest ${modeName(rate)} capacity (${int(rate.rps)} req/s)` : `${int(rate.rps)} req/s`;
}

const modeName = (rate: Rate) => (rate.mode === "close" ? "connection-close" : "keep-alive");

/** One table per rate: every server's percentiles, or why its runs did not count. */
export function latencyTables(section: LatencySection): Table[] {
  const o = section.options;
  return section.rates.map((rate) => ({
    title: `latency at ${rateTitle(rate)} · ${modeName(rate)}, ${o.connections} connections, open-loop (${o.arrivals}), ${o.durationS} s${o.runs > 1 ? ` × ${o.runs} runs` : ""}`,
    head: ["server", "target req/s", "achieved req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "server CPU", "generator CPU", "send lateness p99 µs", "verdict"],
    rows: section.summary.filter((r) => r.rateLabel === rate.label).map((r) => {
      const cpu = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : "—");
      // Only a run that held its schedule reports latency: the others would report their bottleneck's.
      if (r.validRuns === 0) return [r.label, int(r.rate), "—", "—", "—", "—", "—", "—", cpu(r.serverCpu), cpu(r.generatorCpu), int(r.latenessP99Us), `${r.verdict}: ${r.invalid.slice(0, 2).join("; ")}`];
      const l = r.latencyUs;
      const notes = r.validRuns < r.runs ? ` (${r.runs - r.validRuns}/${r.runs} runs not: ${r.invalid.slice(0, 2).join("; ")})` : "";
      return [r.label, int(r.rate), int(r.achieved), formatMs(l.p50), formatMs(l.p90), formatMs(l.p99), formatMs(l.p999), formatMs(l.max),
        cpu(r.serverCpu), cpu(r.generatorCpu), int(r.latenessP99Us), `valid${notes}`];
    }),
  }));
}

/** Method lines of the latency pass (report.md, index.html). */
export function latencyMethod(section: LatencySection, generatorCpus: string): string[] {
  const o = section.options;
  const b = section.basis;
  return [
    `Latency at fixed rates: bench/openloop/ (open-loop, on the project's epoll/libc FFI, ${o.generatorCpus.length > 1 ? `one process on each of CPUs ${o.generatorCpus.join(",")} sending its share of one schedule, histograms merged exactly` : `pinned to CPU ${generatorCpus}`}): requests leave on a schedule fixed before the run (${o.arrivals === "poisson" ? "Poisson arrivals" : "evenly spaced"}) over ${o.connections} ${o.modes.includes("close") ? "connections (keep-alive; in the connection-close pass one new connection per request)" : "keep-alive connections"}, one request at a time each; a request that finds every connection busy waits, and its latency counts from its scheduled send time to the last byte of the answer (wrk2's correction for coordinated omission), recorded in an HdrHistogram (3 significant digits; histograms in report.json). ${o.durationS} s per server and rate after a 0.5 s warm-up at the same rate (not recorded), ${o.runs} run(s), after the throughput runs; several runs are merged into one histogram.`,
    b ? `Rates given as N% are shares of the slowest server's capacity per core measured above (keep-alive: ${b.label}, ${int(b.capacityPerCore)} req/s per core × ${b.serverCores} server CPU(s) = ${int(b.rps)} req/s; the connection-close pass takes the slowest connection-close capacity).` : `Rates in req/s as given.`,
    ...(section.rates.some((r) => r.perInstance) ? [`Rates given as "N% own" load each server at that share of its own capacity per core (of the pass's scenario) × server CPUs, measured above: where each server's tail bends.`] : []),
    `A latency run counts (verdict valid) only if it sent ≥ 99% of its schedule within the window, its own send lateness (how late each request left after it could have) had ${o.latenessRule === "strict" ? "p99" : "p90"} ≤ ${o.maxLatenessP99Us} µs${o.latenessRule === "strict" ? " (--strict-lateness)" : " (the p99 is shown beside the latency: it is inside the latency figures, never hidden)"}, and every answer was a 2xx with the exact body. Otherwise the row shows no latency and says who was the bottleneck: generator-bound (the schedule was kept but the generator's own sends ran late with its CPU ≥ 90%, or its CPU was ≥ 90% while the server had room), server saturated (server CPU ≥ 90%, every connection busy, or answers missing at the end), or invalid (errors, wrong answers, or a schedule lost with neither busy).`,
  ];
}
