/**
 * The report's charts. Bars (renderChart): one group (panel) per scenario,
 * a bar per server, the min–max of the runs as a whisker; capacity per core
 * (capacity.svg, the headline) or measured req/s (chart.svg), where
 * generator-bound bars are hatched. Lines (renderSweepChart): capacity per
 * core and p99 against connections, a line per server. Readable without
 * the tables: title, axes, values, legend. Pure (string out).
 */
import type { Summary } from "../measure/stats.ts";
import type { SummaryRow } from "./summarize.ts";
import { escapeXml } from "./table.ts";
import { scenarioConnections, SCENARIOS, type ScenarioId } from "../types.ts";

export interface ChartInput {
  title: string;
  subtitle: string;
  rows: readonly SummaryRow[];
  scenarios: readonly ScenarioId[];
  /** Series order (instance keys) and their labels. */
  series: readonly Series[];
  /** Which figure the bars show (default req/s). */
  metric?: "rps" | "capacity";
  /** Connection count whose rows are drawn (default: the first row's). */
  connections?: number;
}

export interface Series {
  key: string;
  label: string;
  /** Runtime kind (bun, deno, node) for the hue; undefined = gray. */
  runtime: string | undefined;
  /** Server kind index (lightness). */
  shade: number;
  /** 0 for the runtime found here, 1.. for other versions of the same kind (hue shift). */
  variant?: number;
}

const METRIC: Record<"rps" | "capacity", { unit: string; pick: (r: SummaryRow) => Summary }> = {
  rps: { unit: "req/s", pick: (r) => r.rps },
  capacity: { unit: "req/s per core", pick: (r) => r.capacity },
};

const RUNTIME_HUE: Record<string, number> = { bun: 30, deno: 200, node: 120 };
const GRAY = "#6b7280";

/** Lightness per server kind, in SERVER_KINDS order: hello-server dark, native light. */
const SHADES = [36, 70, 52, 26, 82];

/** Color by runtime kind (hue), server kind (lightness); runtime-less servers gray. */
export function seriesColor(runtime: string | undefined, shade: number, index: number, variant = 0): string {
  if (runtime === undefined) return GRAY;
  const hue = ((RUNTIME_HUE[runtime] ?? index * 67) + variant * 40) % 360;
  return `hsl(${hue}, 70%, ${SHADES[shade % SHADES.length]}%)`;
}

/** 1, 2, 5 × 10^k at or above v. */
/** Axis for values up to v: a 1-2-2.5-5 × 10^k step and at most 5 steps. */
export function niceAxis(v: number): { max: number; step: number } {
  if (!(v > 0)) return { max: 1, step: 0.25 };
  const rough = v / 4;
  const p = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= rough)!;
  return { max: Math.ceil(v / step - 1e-9) * step, step };
}

export function shortNumber(v: number): string {
  const fixed = (x: number, d: number) => x.toFixed(d).replace(/\.0$/, "");
  if (v >= 1e6) return `${fixed(v / 1e6, v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e3) return `${fixed(v / 1e3, v >= 1e5 ? 0 : 1)}k`;
  return v.toFixed(0);
}

/**
 * One panel per scenario, each with its own axis: connection-close runs
 * at a tenth of keep-alive's rate and would vanish on a shared scale.
 */
export function renderChart(c: ChartInput): string {
  const W = 960, left = 20, right = 20, top = 70, plotH = 300, axisW = 48, gap = 16;
  const legendCols = 3, legendRowH = 20;
  const legendRows = Math.ceil(c.series.length / legendCols);
  const H = top + plotH + 44 + legendRows * legendRowH + 16;
  const panels = Math.max(1, c.scenarios.length);
  const panelW = (W - left - right - gap * (panels - 1)) / panels;
  const metric = METRIC[c.metric ?? "rps"];
  const conns = c.connections ?? c.rows[0]?.connections;
  // A protocol scenario is measured at its own connection count (types.ts scenarioConnections).
  const at = (sc: ScenarioId) => (conns === undefined ? undefined : scenarioConnections(sc, [conns])[0]);
  const cell = (key: string, sc: ScenarioId) => c.rows.find((r) => r.instance === key && r.scenario === sc && (at(sc) === undefined || r.connections === at(sc)));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  // Hatching marks generator-bound bars: wrk, not the server, set their height.
  out.push(`<defs><pattern id="genbound-${c.metric ?? "rps"}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="none"/><line x1="0" y1="0" x2="0" y2="6" stroke="#111" stroke-width="2" stroke-opacity="0.55"/></pattern></defs>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(c.title)}</text>`);
  out.push(`<text x="${W / 2}" y="44" text-anchor="middle" fill="#444">${escapeXml(c.subtitle)}</text>`);
  c.scenarios.forEach((sc, g) => {
    const px = left + g * (panelW + gap);
    const plotX = px + axisW;
    const plotW = panelW - axisW;
    // Only the servers that ran this scenario get a slot (a WebSocket peer has none in the h2c panel); colours keep the series' index.
    const slots = c.series.map((s, i) => ({ s, i, row: cell(s.key, sc) })).filter((x) => x.row !== undefined || c.series.every((s) => cell(s.key, sc) === undefined));
    const rows = slots.map((x) => x.row);
    // 15% headroom for the value written above the tallest bar.
    const axis = niceAxis(1.15 * Math.max(0, ...rows.map((r) => (r && r.validRuns > 0 && Number.isFinite(metric.pick(r).max) ? metric.pick(r).max : 0))));
    const maxV = axis.max;
    const y = (v: number) => top + plotH - (v / maxV) * plotH;
    for (let k = 0; k * axis.step <= maxV + 1e-9; k++) {
      const v = k * axis.step;
      out.push(`<line x1="${plotX}" x2="${px + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`);
      out.push(`<text x="${plotX - 5}" y="${y(v) + 4}" text-anchor="end" fill="#444" font-size="11">${shortNumber(v)}</text>`);
    }
    const label = SCENARIOS.find((s) => s.id === sc)?.label ?? sc;
    const unit = SCENARIOS.find((s) => s.id === sc)?.unit === "message" ? metric.unit.replace("req/s", "msg/s") : metric.unit;
    out.push(`<text x="${plotX + plotW / 2}" y="${top + plotH + 20}" text-anchor="middle" font-weight="bold">${escapeXml(label)} (${unit})</text>`);
    const barW = Math.min(56, (plotW * 0.9) / Math.max(1, slots.length));
    const gx = plotX + (plotW - barW * slots.length) / 2;
    slots.forEach(({ s, i, row }, slot) => {
      const x = gx + slot * barW;
      const cx = x + barW / 2;
      const m = row && row.validRuns > 0 ? metric.pick(row) : undefined;
      if (!row || !m || m.n === 0) {
        out.push(`<text transform="translate(${cx + 3} ${top + plotH - 4}) rotate(-90)" font-size="10" fill="#b91c1c">${row ? (row.validRuns === 0 ? "invalid" : "no CPU figure") : "n/a"}</text>`);
        return;
      }
      const v = m.median;
      const bound = c.metric !== "capacity" && row.generatorBound;
      const tip = `${s.label}, ${label}: ${Math.round(v)} ${unit}${m.n > 1 ? ` (${Math.round(m.min)}–${Math.round(m.max)})` : ""}${bound ? ", generator-bound" : ""}${row.noisy ? ", noisy" : ""}`;
      out.push(`<rect class="bar" x="${x + 1}" y="${y(v)}" width="${barW - 2}" height="${top + plotH - y(v)}" fill="${seriesColor(s.runtime, s.shade, i, s.variant)}"><title>${escapeXml(tip)}</title></rect>`);
      if (bound) out.push(`<rect x="${x + 1}" y="${y(v)}" width="${barW - 2}" height="${top + plotH - y(v)}" fill="url(#genbound-${c.metric ?? "rps"})"/>`);
      if (m.n > 1) {
        out.push(`<line x1="${cx}" x2="${cx}" y1="${y(m.min)}" y2="${y(m.max)}" stroke="#111" stroke-width="1.5"/>`);
        for (const w of [m.min, m.max]) out.push(`<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(w)}" y2="${y(w)}" stroke="#111" stroke-width="1.5"/>`);
      }
      out.push(`<text transform="translate(${cx + 3} ${y(Math.max(v, m.max)) - 4}) rotate(-90)" font-size="10">${shortNumber(v)}${bound ? " G" : ""}${row.noisy ? " ~" : ""}</text>`);
    });
    out.push(`<line x1="${plotX}" x2="${px + panelW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#111"/>`);
  });
  legend(out, c.series, { left, top: top + plotH + 44, width: W - left - right, cols: legendCols, rowH: legendRowH });
  const key = c.metric === "capacity"
    ? "whiskers: min–max of the runs · ~ = noisy (CV > 10%) · 1,000,000 / server CPU µs per request"
    : "whiskers: min–max of the runs · hatched, G = generator-bound (wrk was the limit) · ~ = noisy (CV > 10%)";
  out.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle" fill="#444" font-size="11">${escapeXml(key)}</text>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

export interface SweepInput {
  title: string;
  subtitle: string;
  rows: readonly SummaryRow[];
  scenario: ScenarioId;
  series: readonly Series[];
}

/**
 * One scenario of a connection sweep: two panels, capacity per core (left)
 * and p99 latency (right, log scale: it spans 0.1 ms to seconds) against
 * connections (log scale), a line per server; a missing point (invalid
 * runs, skipped count) breaks the line.
 */
export function renderSweepChart(c: SweepInput): string {
  const W = 960, left = 20, right = 20, top = 70, plotH = 280, axisW = 56, gap = 24;
  const legendCols = 3, legendRowH = 20;
  const H = top + plotH + 50 + Math.ceil(c.series.length / legendCols) * legendRowH + 10;
  const panelW = (W - left - right - gap) / 2;
  const rows = c.rows.filter((r) => r.scenario === c.scenario);
  const xs = [...new Set(rows.map((r) => r.connections))].sort((a, b) => a - b);
  const label = SCENARIOS.find((s) => s.id === c.scenario)?.label ?? c.scenario;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(c.title)}</text>`);
  out.push(`<text x="${W / 2}" y="44" text-anchor="middle" fill="#444">${escapeXml(c.subtitle)}</text>`);
  const panels: Array<{ name: string; value: (r: SummaryRow) => number; log: boolean; fmt: (v: number) => string }> = [
    { name: `${label}: capacity per core (req/s)`, value: (r) => (r.validRuns > 0 ? r.capacity.median : NaN), log: false, fmt: shortNumber },
    { name: `${label}: p99 latency (ms, log)`, value: (r) => (r.validRuns > 0 && r.latencyP99Us > 0 ? r.latencyP99Us / 1000 : NaN), log: true, fmt: (v) => (v >= 1 ? v.toFixed(0) : v.toPrecision(1)) },
  ];
  const xPos = (px: number, w: number, conns: number) => {
    if (xs.length < 2) return px + w / 2;
    const a = Math.log(xs[0]!), b = Math.log(xs[xs.length - 1]!);
    return px + 10 + ((Math.log(conns) - a) / (b - a)) * (w - 20);
  };
  panels.forEach((p, g) => {
    const px = left + g * (panelW + gap) + axisW;
    const w = panelW - axisW;
    const values = rows.map(p.value).filter((v) => Number.isFinite(v) && v > 0);
    let y: (v: number) => number;
    const ticks: number[] = [];
    if (p.log) {
      const lo = Math.floor(Math.log10(Math.min(...values, 1))), hi = Math.ceil(Math.log10(Math.max(...values, 1) * 1.01));
      const span = Math.max(1, hi - lo);
      y = (v) => top + plotH - ((Math.log10(v) - lo) / span) * plotH;
      for (let k = lo; k <= lo + span; k++) ticks.push(10 ** k);
    } else {
      const axis = niceAxis(1.1 * Math.max(0, ...values));
      y = (v) => top + plotH - (v / axis.max) * plotH;
      for (let k = 0; k * axis.step <= axis.max + 1e-9; k++) ticks.push(k * axis.step);
    }
    for (const t of ticks) {
      out.push(`<line x1="${px}" x2="${px + w}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/>`);
      out.push(`<text x="${px - 5}" y="${y(t) + 4}" text-anchor="end" fill="#444" font-size="11">${p.fmt(t)}</text>`);
    }
    for (const x of xs) out.push(`<text x="${xPos(px, w, x)}" y="${top + plotH + 16}" text-anchor="middle" fill="#444" font-size="11">${x}</text>`);
    out.push(`<text x="${px + w / 2}" y="${top + plotH + 34}" text-anchor="middle" font-weight="bold">${escapeXml(p.name)} vs connections</text>`);
    out.push(`<line x1="${px}" x2="${px + w}" y1="${top + plotH}" y2="${top + plotH}" stroke="#111"/>`);
    c.series.forEach((s, i) => {
      const color = seriesColor(s.runtime, s.shade, i, s.variant);
      const pts = xs.map((x) => {
        const r = rows.find((q) => q.instance === s.key && q.connections === x);
        const v = r ? p.value(r) : NaN;
        return Number.isFinite(v) && v > 0 ? { x: xPos(px, w, x), y: y(v), v, conns: x } : undefined;
      });
      let d = "";
      pts.forEach((q, k) => {
        if (!q) return;
        d += `${d && pts[k - 1] ? "L" : "M"}${q.x.toFixed(1)},${q.y.toFixed(1)} `;
      });
      if (d) out.push(`<path class="line" d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const q of pts) {
        if (q) out.push(`<circle cx="${q.x.toFixed(1)}" cy="${q.y.toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(`${s.label}, ${q.conns} connections: ${p.fmt(q.v)}`)}</title></circle>`);
      }
    });
  });
  legend(out, c.series, { left, top: top + plotH + 50, width: W - left - right, cols: legendCols, rowH: legendRowH });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** The colour key under a chart: a swatch and a label per series, `cols` to a row. */
function legend(out: string[], series: readonly Series[], at: { left: number; top: number; width: number; cols: number; rowH: number }): void {
  const colW = at.width / at.cols;
  series.forEach((s, i) => {
    const lx = at.left + (i % at.cols) * colW;
    const ly = at.top + Math.floor(i / at.cols) * at.rowH;
    out.push(`<rect x="${lx}" y="${ly}" width="14" height="14" fill="${seriesColor(s.runtime, s.shade, i, s.variant)}"/>`);
    out.push(`<text x="${lx + 20}" y="${ly + 11}">${escapeXml(s.label)}</text>`);
  });
}
