/**
 * `--diff A B` for latency at fixed rates: per server and rate (matched by
 * the rate's label, so "50%" pairs with "50%" even when the slowest
 * server's capacity, and so the req/s, moved), p50/p99/p99.9 of A and B
 * and their change; the verdict is diff.ts's exact Mann–Whitney U over the
 * per-run p99s, lower being better (one run per rate, the default, is
 * "too few runs": use --latency-runs 4 for a verdict). Pure.
 */
import { judge, type Verdict } from "../report/diff.ts";
import { formatMs, type LatencyRow } from "./summary.ts";
import type { Report } from "../report/output.ts";
import { servedKeys } from "../report/served-key.ts";
import type { Table } from "../report/table.ts";

export interface LatencyDiffRow {
  instance: string;
  label: string;
  rateLabel: string;
  rate: [number, number];
  a: LatencyRow;
  b: LatencyRow;
  p99Verdict: Verdict;
}

/** judge() where lower is better: the verdict's direction flipped. */
export function judgeLower(a: readonly number[], b: readonly number[]): Verdict {
  const v = judge(a, b);
  const flipped = v.verdict === "B better" ? "B worse" : v.verdict === "B worse" ? "B better" : v.verdict;
  return { ...v, verdict: flipped, text: v.text.replace(v.verdict, flipped).replace("--runs 4", "--latency-runs 4") };
}

export function diffLatency(a: Report, b: Report): LatencyDiffRow[] {
  if (!a.latency || !b.latency) return [];
  const p99s = (r: Report, instance: string, rateLabel: string) =>
    r.latency!.records.filter((x) => x.instance === instance && x.rateLabel === rateLabel && x.valid && x.result).map((x) => x.result!.latencyUs.p99);
  // hello-server's default back end matched by the back end that served, as diff.ts does.
  const servedA = servedKeys(a.instances), servedB = servedKeys(b.instances);
  const rows: LatencyDiffRow[] = [];
  for (const ra of a.latency.summary) {
    const key = servedA.get(ra.instance) ?? ra.instance;
    const rb = b.latency.summary.find((x) => (servedB.get(x.instance) ?? x.instance) === key && x.rateLabel === ra.rateLabel);
    if (!rb || ra.validRuns === 0 || rb.validRuns === 0) continue;
    rows.push({
      instance: ra.instance, label: ra.label, rateLabel: ra.rateLabel, rate: [ra.rate, rb.rate], a: ra, b: rb,
      p99Verdict: judgeLower(p99s(a, ra.instance, ra.rateLabel), p99s(b, rb.instance, rb.rateLabel)),
    });
  }
  return rows;
}

const change = (x: number, y: number) => {
  if (!(x > 0) || !Number.isFinite(y)) return "—";
  const c = y / x - 1;
  return `${c >= 0 ? "+" : ""}${(c * 100).toFixed(1)}%`;
};

export function latencyDiffTable(rows: readonly LatencyDiffRow[]): Table {
  return {
    title: "latency change from A to B (open-loop, keep-alive; lower is better; verdict: exact Mann–Whitney U over the runs' p99, α = 0.05)",
    head: ["server", "rate", "req/s A", "req/s B", "p50 ms A", "p50 ms B", "p50 change", "p99 ms A", "p99 ms B", "p99 change", "p99.9 ms A", "p99.9 ms B", "p99.9 change", "p99 verdict"],
    rows: rows.map((r) => {
      const a = r.a.latencyUs, b = r.b.latencyUs;
      return [r.label, r.rateLabel, Math.round(r.rate[0]).toLocaleString("en-US"), Math.round(r.rate[1]).toLocaleString("en-US"),
        formatMs(a.p50), formatMs(b.p50), change(a.p50, b.p50), formatMs(a.p99), formatMs(b.p99), change(a.p99, b.p99),
        formatMs(a.p999), formatMs(b.p999), change(a.p999, b.p999), r.p99Verdict.text];
    }),
  };
}
