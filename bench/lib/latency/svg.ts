/**
 * The latency charts, drawn like the sweep chart (svg.ts): a line per
 * server, hue by runtime, a log latency axis (it spans 50 µs to seconds).
 * renderLatencyChart: p50, p99 and p99.9 against the target rate, three
 * panels. renderSpectrumChart: the percentile spectrum at one rate
 * (HdrHistogram's plot: the x axis in "nines", so 99%, 99.9% and 99.99%
 * get equal room; the maximum at the right edge). Invalid rows are not
 * drawn: their latency is not the server's. Pure (string out).
 */
import { formatMs, type LatencyRow, type Rate } from "./summary.ts";
import { seriesColor, shortNumber, type Series } from "../report/svg.ts";
import { escapeXml } from "../report/table.ts";

export interface LatencyChartInput {
  title: string;
  subtitle: string;
  rows: readonly LatencyRow[];
  rates: readonly Rate[];
  series: readonly Series[];
}

const W = 960, LEFT = 20, RIGHT = 20, TOP = 70, PLOT_H = 280, AXIS_W = 56, GAP = 24, LEGEND_COLS = 3, LEGEND_ROW_H = 20;

/** A log10 axis over positive values: y(v) and ticks at 1-2-5 × 10^k (ms). */
export function logAxis(values: readonly number[], top: number, height: number): { y: (v: number) => number; ticks: number[] } {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.min(...finite, 1)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...finite, 1) * 1.01)));
  const y = (v: number) => top + height - ((Math.log10(v) - lo) / (hi - lo)) * height;
  const ticks: number[] = [];
  for (let k = lo; k <= hi; k++) for (const m of hi - lo <= 2 ? [1, 2, 5] : [1]) if (k + Math.log10(m) <= hi) ticks.push(m * 10 ** k);
  return { y, ticks };
}

const msLabel = (ms: number) => (ms >= 1 ? shortNumber(ms) : String(Number(ms.toPrecision(1))));

function frame(title: string, subtitle: string, legendTop: number, series: readonly Series[]): { head: string[]; legend: string[]; H: number } {
  const H = legendTop + Math.ceil(series.length / LEGEND_COLS) * LEGEND_ROW_H + 10;
  const head = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${W / 2}" y="44" text-anchor="middle" fill="#444">${escapeXml(subtitle)}</text>`,
  ];
  const legendW = (W - LEFT - RIGHT) / LEGEND_COLS;
  const legend = series.flatMap((s, i) => {
    const lx = LEFT + (i % LEGEND_COLS) * legendW;
    const ly = legendTop + Math.floor(i / LEGEND_COLS) * LEGEND_ROW_H;
    return [`<rect x="${lx}" y="${ly}" width="14" height="14" fill="${seriesColor(s.runtime, s.shade, i, s.variant)}"/>`, `<text x="${lx + 20}" y="${ly + 11}">${escapeXml(s.label)}</text>`];
  });
  return { head, legend, H };
}

/** One polyline with a dot per point; a missing point breaks the line. */
function line(points: Array<{ x: number; y: number; tip: string } | undefined>, color: string): string[] {
  const out: string[] = [];
  let d = "";
  points.forEach((q, k) => {
    if (q) d += `${d && points[k - 1] ? "L" : "M"}${q.x.toFixed(1)},${q.y.toFixed(1)} `;
  });
  if (d) out.push(`<path class="line" d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2"/>`);
  for (const q of points) if (q) out.push(`<circle cx="${q.x.toFixed(1)}" cy="${q.y.toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(q.tip)}</title></circle>`);
  return out;
}

const PANELS = [
  { name: "p50", pick: (r: LatencyRow) => r.latencyUs.p50 },
  { name: "p99", pick: (r: LatencyRow) => r.latencyUs.p99 },
  { name: "p99.9", pick: (r: LatencyRow) => r.latencyUs.p999 },
] as const;

/** p50, p99 and p99.9 (ms, log) against the target rate (req/s), a line per server. */
export function renderLatencyChart(c: LatencyChartInput): string {
  const legendTop = TOP + PLOT_H + 56;
  const { head, legend } = frame(c.title, c.subtitle, legendTop, c.series);
  const out = [...head];
  const panelW = (W - LEFT - RIGHT - 2 * GAP) / 3;
  const valid = c.rows.filter((r) => r.validRuns > 0);
  const { y, ticks } = logAxis(valid.flatMap((r) => PANELS.map((p) => p.pick(r) / 1000)), TOP, PLOT_H);
  // --own-rates: each server has its own req/s, so the x axis is the share of its own capacity.
  const byShare = c.rates.length > 0 && c.rates.every((r) => r.perInstance !== undefined);
  const at = (r: Rate) => (byShare ? r.share! : r.rps);
  const maxRate = Math.max(byShare ? 0 : 1, ...c.rates.map(at));
  PANELS.forEach((p, g) => {
    const px = LEFT + g * (panelW + GAP) + AXIS_W;
    const w = panelW - AXIS_W;
    const x = (v: number) => px + 8 + (v / maxRate) * (w - 16);
    for (const t of ticks) {
      out.push(`<line x1="${px}" x2="${px + w}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e7eb"/>`);
      out.push(`<text x="${px - 5}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#444" font-size="11">${msLabel(t)}</text>`);
    }
    for (const r of c.rates) {
      out.push(`<text x="${x(at(r)).toFixed(1)}" y="${TOP + PLOT_H + 16}" text-anchor="middle" fill="#444" font-size="11">${escapeXml(byShare ? `${Math.round(r.share! * 100)}%` : shortNumber(r.rps))}</text>`);
      if (r.share !== undefined && !byShare) out.push(`<text x="${x(r.rps).toFixed(1)}" y="${TOP + PLOT_H + 29}" text-anchor="middle" fill="#888" font-size="10">${escapeXml(r.label)}</text>`);
    }
    out.push(`<line x1="${px}" x2="${px + w}" y1="${TOP + PLOT_H}" y2="${TOP + PLOT_H}" stroke="#111"/>`);
    out.push(`<text x="${px + w / 2}" y="${TOP + PLOT_H + 46}" text-anchor="middle" font-weight="bold">${p.name} latency (ms, log) vs ${byShare ? "share of own capacity" : "target req/s"}</text>`);
    c.series.forEach((s, i) => {
      const pts = c.rates.map((rate) => {
        const row = valid.find((r) => r.instance === s.key && r.rateLabel === rate.label);
        const v = row ? p.pick(row) : NaN;
        return Number.isFinite(v) && v > 0 ? { x: x(at(rate)), y: y(v / 1000), tip: `${s.label}, ${rate.label} (${row!.rate} req/s): ${p.name} ${formatMs(v)} ms` } : undefined;
      });
      out.push(...line(pts, seriesColor(s.runtime, s.shade, i, s.variant)));
    });
  });
  out.push(...legend, `</svg>`);
  return out.join("\n") + "\n";
}

export interface SpectrumChartInput {
  title: string;
  subtitle: string;
  /** Rows of one rate. */
  rows: readonly LatencyRow[];
  series: readonly Series[];
}

/** Percentile p on the "nines" axis: 0 → 0, 90 → 1, 99 → 2, 99.9 → 3. */
export const nines = (p: number) => Math.log10(100 / (100 - p));

/** The latency percentile spectrum at one rate (ms, log) over percentiles in nines, a line per server. */
export function renderSpectrumChart(c: SpectrumChartInput): string {
  const legendTop = TOP + PLOT_H + 50;
  const { head, legend } = frame(c.title, c.subtitle, legendTop, c.series);
  const out = [...head];
  const valid = c.rows.filter((r) => r.validRuns > 0 && r.spectrum.length > 0);
  const { y, ticks } = logAxis(valid.flatMap((r) => r.spectrum.map(([, us]) => us / 1000)), TOP, PLOT_H);
  const lastNines = Math.max(2, ...valid.flatMap((r) => r.spectrum.filter(([p]) => p < 100).map(([p]) => Math.ceil(nines(p) - 1e-9))));
  const maxAt = lastNines + 0.6;
  const px = LEFT + AXIS_W, w = W - LEFT - RIGHT - AXIS_W;
  const x = (n: number) => px + 8 + (n / maxAt) * (w - 16);
  for (const t of ticks) {
    out.push(`<line x1="${px}" x2="${px + w}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${px - 5}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#444" font-size="11">${msLabel(t)}</text>`);
  }
  const xTicks: Array<[number, string]> = [[0, "0%"], [nines(50), "50%"]];
  for (let k = 1; k <= lastNines; k++) xTicks.push([k, `${(100 - 100 / 10 ** k).toFixed(Math.max(0, k - 2))}%`]);
  xTicks.push([maxAt, "max"]);
  for (const [n, label] of xTicks) {
    out.push(`<line x1="${x(n).toFixed(1)}" x2="${x(n).toFixed(1)}" y1="${TOP}" y2="${TOP + PLOT_H}" stroke="#f3f4f6"/>`);
    out.push(`<text x="${x(n).toFixed(1)}" y="${TOP + PLOT_H + 16}" text-anchor="middle" fill="#444" font-size="11">${label}</text>`);
  }
  out.push(`<line x1="${px}" x2="${px + w}" y1="${TOP + PLOT_H}" y2="${TOP + PLOT_H}" stroke="#111"/>`);
  out.push(`<text x="${px + w / 2}" y="${TOP + PLOT_H + 36}" text-anchor="middle" font-weight="bold">latency (ms, log) at each percentile</text>`);
  c.series.forEach((s, i) => {
    const row = valid.find((r) => r.instance === s.key);
    if (!row) return;
    const pts = row.spectrum.map(([p, us]) => ({ x: x(p === 100 ? maxAt : nines(p)), y: y(us / 1000), tip: `${s.label}: ${p === 100 ? "max" : `p${p}`} ${formatMs(us)} ms` }));
    out.push(...line(pts, seriesColor(s.runtime, s.shade, i, s.variant)));
  });
  out.push(...legend, `</svg>`);
  return out.join("\n") + "\n";
}
