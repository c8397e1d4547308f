/**
 * `--diff A B`: what changed between two comparison runs (two results
 * directories), per server, scenario and connection count present in
 * both: capacity per core and req/s, median change, and a verdict from an
 * exact two-sided Mann–Whitney U test over the per-run values (stats.ts)
 * at α = 0.05. Rank-based, so one outlier run on a shared machine cannot
 * make a difference by itself; exact, so it is honest with 3–10 runs, and
 * it says when there are too few runs for any verdict (3 vs 3 runs cannot
 * reach p < 0.05). Refuses reports from different machines unless --force.
 * Latency at fixed rates, when both reports have it: latency-diff.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { htmlPage } from "./html.ts";
import { diffLatency, latencyDiffTable, type LatencyDiffRow } from "../latency/diff.ts";
import type { Report } from "./output.ts";
import { mannWhitney, median, summarize, type Summary } from "../measure/stats.ts";
import { servedKeys } from "./served-key.ts";
import { runCapacity, sawWrongAnswers } from "./summarize.ts";
import { toHtml, toMarkdown, type Table } from "./table.ts";
import type { RunRecord } from "../types.ts";

/** Significance level of the verdicts. */
export const ALPHA = 0.05;

export interface Verdict {
  /** Relative change of the median, B / A − 1. */
  change: number;
  p: number;
  minP: number;
  /** One of: "B better", "B worse", "no significant change", "too few runs", "missing". */
  verdict: string;
  /** The verdict with its figures, for tables. */
  text: string;
}

/** The verdict for one figure where higher is better (capacity, req/s). Pure. */
export function judge(a: readonly number[], b: readonly number[], alpha = ALPHA): Verdict {
  const ma = median(a), mb = median(b);
  const change = ma > 0 && Number.isFinite(mb) ? mb / ma - 1 : NaN;
  if (a.length === 0 || b.length === 0) return { change, p: NaN, minP: NaN, verdict: "missing", text: "no valid runs on one side" };
  const t = mannWhitney(a, b);
  const sign = `${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}%`;
  if (t.minP > alpha) {
    return { change, p: t.p, minP: t.minP, verdict: "too few runs",
      text: `too few runs to tell (${a.length} vs ${b.length}: the smallest possible p is ${t.minP.toFixed(2)} > ${alpha}; use --runs 4 or more)` };
  }
  if (t.p < alpha) return { change, p: t.p, minP: t.minP, verdict: change >= 0 ? "B better" : "B worse", text: `${change >= 0 ? "B better" : "B worse"}: ${sign} (p = ${t.p.toFixed(3)})` };
  return { change, p: t.p, minP: t.minP, verdict: "no significant change", text: `no significant change: ${sign} (p = ${t.p.toFixed(2)})` };
}

/** Machine fields that must match; other differences (runtime versions, kernel) are what a diff is for. */
export function machineMismatch(a: Report, b: Report): string[] {
  const out: string[] = [];
  const fields: Array<[string, (r: Report) => unknown]> = [
    ["hostname", (r) => r.machine.hostname], ["CPU model", (r) => r.machine.cpuModel], ["CPUs", (r) => r.machine.cores], ["memory", (r) => r.machine.memoryBytes],
  ];
  for (const [name, get] of fields) if (get(a) !== get(b)) out.push(`${name}: ${String(get(a))} vs ${String(get(b))}`);
  return out;
}

/** Connections of a run; reports before connection sweeps had one count in the options. */
function connectionsOf(r: RunRecord, report: Report): number {
  if (typeof r.connections === "number") return r.connections;
  const c = (report.options as { connections: number | number[] }).connections;
  return Array.isArray(c) ? c[0]! : c;
}

export interface DiffRow {
  instance: string;
  label: string;
  scenario: string;
  connections: number;
  capacity: [Summary, Summary];
  rps: [Summary, Summary];
  capacityVerdict: Verdict;
  rpsVerdict: Verdict;
}

/**
 * Rows for every (server, scenario, connections) with measured runs in both reports; hello-server's
 * default back end matched by the back end that served (served-key.ts). Pure.
 */
export function diffReports(a: Report, b: Report): DiffRow[] {
  const values = (rep: Report) => {
    const map = new Map<string, { cap: number[]; rps: number[]; label: string }>();
    const warmFailed = new Set(rep.runs.filter((r) => r.run === 0 && !r.valid && sawWrongAnswers(r)).map((r) => `${r.instance} ${r.scenario}`));
    const served = servedKeys(rep.instances);
    for (const r of rep.runs) {
      if (r.run <= 0) continue;
      const k = `${served.get(r.instance) ?? r.instance}\t${r.scenario}\t${connectionsOf(r, rep)}`;
      const e = map.get(k) ?? { cap: [], rps: [], label: rep.instances.find((i) => i.key === r.instance)?.label ?? r.instance };
      map.set(k, e);
      if (!r.valid || warmFailed.has(`${r.instance} ${r.scenario}`)) continue;
      e.rps.push(r.requestsPerSec);
      const c = runCapacity(r);
      if (Number.isFinite(c)) e.cap.push(c);
    }
    return map;
  };
  const va = values(a), vb = values(b);
  const rows: DiffRow[] = [];
  for (const [k, x] of va) {
    const y = vb.get(k);
    if (!y) continue;
    const [instance, scenario, conns] = k.split("\t") as [string, string, string];
    rows.push({
      instance, label: x.label, scenario, connections: Number(conns),
      capacity: [summarize(x.cap), summarize(y.cap)], rps: [summarize(x.rps), summarize(y.rps)],
      capacityVerdict: judge(x.cap, y.cap), rpsVerdict: judge(x.rps, y.rps),
    });
  }
  return rows;
}

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "—");
const pct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%` : "—");

export function diffTable(rows: readonly DiffRow[]): Table {
  return {
    title: "change from A to B (medians; verdict: exact Mann–Whitney U over the runs, α = 0.05)",
    head: ["server", "scenario", "connections", "capacity/core A", "capacity/core B", "capacity change", "capacity verdict", "req/s A", "req/s B", "req/s change", "req/s verdict"],
    rows: rows.map((r) => [
      r.label, r.scenario, String(r.connections),
      n0(r.capacity[0].median), n0(r.capacity[1].median), pct(r.capacityVerdict.change), r.capacityVerdict.text,
      n0(r.rps[0].median), n0(r.rps[1].median), pct(r.rpsVerdict.change), r.rpsVerdict.text,
    ]),
  };
}

/** Differences worth knowing before reading the table (versions, options). */
export function diffNotes(a: Report, b: Report, mismatch: readonly string[]): string[] {
  const notes: string[] = [];
  if (mismatch.length) notes.push(`different machines (--force): ${mismatch.join("; ")}`);
  const versions = (r: Report) => r.runtimes.map((x) => `${x.name} ${x.version}`).join(", ");
  if (versions(a) !== versions(b)) notes.push(`runtimes: A ${versions(a)}; B ${versions(b)}`);
  if (a.machine.kernel !== b.machine.kernel) notes.push(`kernel: A ${a.machine.kernel}; B ${b.machine.kernel}`);
  for (const [name, get] of [["duration", (r: Report) => `${r.options.durationS} s`], ["runs", (r: Report) => String(r.options.runs)], ["generator", (r: Report) => r.generator.version]] as const) {
    if (get(a) !== get(b)) notes.push(`${name}: A ${get(a)}; B ${get(b)}`);
  }
  return notes;
}

export interface DiffOptions {
  force: boolean;
  out: string;
  root: string;
}

/** Reads A and B, writes diff.md and diff.html into `out`; returns the Markdown (compare.ts prints it). */
export function runDiff(dirA: string, dirB: string, o: DiffOptions): { md: string; rows: DiffRow[]; latencyRows: LatencyDiffRow[] } {
  const load = (dir: string): Report => {
    try {
      return JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;
    } catch (e) {
      throw new Error(`--diff: cannot read ${join(dir, "report.json")}: ${(e as Error).message}`);
    }
  };
  const a = load(dirA), b = load(dirB);
  const mismatch = machineMismatch(a, b);
  if (mismatch.length && !o.force) throw new Error(`--diff: refusing to compare runs from different machines (${mismatch.join("; ")}); add --force to compare anyway`);
  const rows = diffReports(a, b);
  const latencyRows = diffLatency(a, b);
  if (rows.length === 0 && latencyRows.length === 0) throw new Error("--diff: no server, scenario and connection count was measured in both runs");
  const notes = diffNotes(a, b, mismatch);
  const table = diffTable(rows);
  const latencyTable = latencyRows.length ? latencyDiffTable(latencyRows) : undefined;
  const method = [
    `A: ${dirA} (${a.startedAt}, \`${a.command}\`)`,
    `B: ${dirB} (${b.startedAt}, \`${b.command}\`)`,
    `Values: capacity per core (1,000,000 / server CPU µs per request) and req/s of every valid measured run; change = median B / median A − 1.`,
    `Verdict: exact two-sided Mann–Whitney U test over the per-run values at α = ${ALPHA}. "B better"/"B worse" when p < ${ALPHA}; "no significant change" otherwise; "too few runs" when no outcome could reach p < ${ALPHA} (3 vs 3 runs: the smallest p is 0.10).`,
    ...(latencyRows.length ? [`Latency at fixed rates: p50/p99/p99.9 of all requests of the valid open-loop runs (histograms merged), matched by rate label; change = B / A − 1 (lower is better); verdict over the per-run p99s.`] : []),
  ];
  const tally = (pick: (r: DiffRow) => Verdict) => {
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(pick(r).verdict, (counts.get(pick(r).verdict) ?? 0) + 1);
    return [...counts].map(([v, n]) => `${n} ${v}`).join(", ");
  };
  const verdicts = `Verdicts over ${rows.length} rows: capacity per core: ${tally((r) => r.capacityVerdict)}; req/s: ${tally((r) => r.rpsVerdict)}.`;
  const md = [
    `# hello-server comparison: diff`,
    ``,
    ...method.map((m) => `- ${m}`),
    ``,
    verdicts,
    ...(notes.length ? [``, `## Notes`, ``, ...notes.map((n) => `- ${n}`)] : []),
    ``,
    toMarkdown(table),
    ...(latencyTable ? [toMarkdown(latencyTable)] : []),
  ].join("\n");
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, "diff.md"), md);
  writeFileSync(join(o.out, "diff.html"), htmlPage({
    title: "hello-server comparison: diff",
    intro: [`${a.machine.cpuModel}, ${a.machine.cores} CPUs · A ${a.startedAt} · B ${b.startedAt}`],
    command: ["bun bench/compare.ts --diff", dirA, dirB, ...(o.force ? ["--force"] : [])].join(" "),
    method: method.map((m) => m.replace(/`/g, "")), notes: [verdicts, ...notes], charts: [], tablesHtml: toHtml(table) + (latencyTable ? toHtml(latencyTable) : ""),
  }));
  return { md, rows, latencyRows };
}
