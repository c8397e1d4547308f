/**
 * chart.svg: grouped bars, requests/s per server, one group (panel) per
 * scenario, with the min–max of the runs as a whisker. Readable
 * without the table: title, axes, values on the bars and a legend. Pure (string out).
 */
import type { SummaryRow } from "./summarize.ts";
import { escapeXml } from "./table.ts";
import { SCENARIOS, type ScenarioId } from "./types.ts";

export interface ChartInput {
  title: string;
  subtitle: string;
  rows: readonly SummaryRow[];
  scenarios: readonly ScenarioId[];
  /** Series order (instance keys) and their labels. */
  series: ReadonlyArray<{ key: string; label: string; runtime: string | undefined; shade: number }>;
}

const RUNTIME_HUE: Record<string, number> = { bun: 30, deno: 200, node: 120 };
const GRAY = "#6b7280";

/** Lightness per server kind, in SERVER_KINDS order: hello-server dark, native light. */
const SHADES = [36, 70, 52, 26, 82];

/** Color by runtime kind (hue), server kind (lightness); runtime-less servers gray. */
export function seriesColor(runtime: string | undefined, shade: number, index: number): string {
  if (runtime === undefined) return GRAY;
  const hue = RUNTIME_HUE[runtime] ?? (index * 67) % 360;
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
  const cell = (key: string, sc: ScenarioId) => c.rows.find((r) => r.instance === key && r.scenario === sc);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(c.title)}</text>`);
  out.push(`<text x="${W / 2}" y="44" text-anchor="middle" fill="#444">${escapeXml(c.subtitle)}</text>`);
  c.scenarios.forEach((sc, g) => {
    const px = left + g * (panelW + gap);
    const plotX = px + axisW;
    const plotW = panelW - axisW;
    const rows = c.series.map((s) => cell(s.key, sc));
    // 15% headroom for the value written above the tallest bar.
    const axis = niceAxis(1.15 * Math.max(0, ...rows.map((r) => (r && r.validRuns > 0 && Number.isFinite(r.rps.max) ? r.rps.max : 0))));
    const maxV = axis.max;
    const y = (v: number) => top + plotH - (v / maxV) * plotH;
    for (let k = 0; k * axis.step <= maxV + 1e-9; k++) {
      const v = k * axis.step;
      out.push(`<line x1="${plotX}" x2="${px + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`);
      out.push(`<text x="${plotX - 5}" y="${y(v) + 4}" text-anchor="end" fill="#444" font-size="11">${shortNumber(v)}</text>`);
    }
    const label = SCENARIOS.find((s) => s.id === sc)?.label ?? sc;
    out.push(`<text x="${plotX + plotW / 2}" y="${top + plotH + 20}" text-anchor="middle" font-weight="bold">${escapeXml(label)} (req/s)</text>`);
    const barW = Math.min(56, (plotW * 0.9) / Math.max(1, c.series.length));
    const gx = plotX + (plotW - barW * c.series.length) / 2;
    c.series.forEach((s, i) => {
      const row = rows[i];
      const x = gx + i * barW;
      const cx = x + barW / 2;
      if (!row || row.validRuns === 0) {
        out.push(`<text transform="translate(${cx + 3} ${top + plotH - 4}) rotate(-90)" font-size="10" fill="#b91c1c">${row ? "invalid" : "n/a"}</text>`);
        return;
      }
      const v = row.rps.median;
      out.push(`<rect x="${x + 1}" y="${y(v)}" width="${barW - 2}" height="${top + plotH - y(v)}" fill="${seriesColor(s.runtime, s.shade, i)}"><title>${escapeXml(`${s.label}, ${label}: ${Math.round(v)} req/s`)}</title></rect>`);
      if (row.rps.n > 1) out.push(`<line x1="${cx}" x2="${cx}" y1="${y(row.rps.min)}" y2="${y(row.rps.max)}" stroke="#111" stroke-width="1.5"/>`);
      out.push(`<text transform="translate(${cx + 3} ${y(Math.max(v, row.rps.max)) - 4}) rotate(-90)" font-size="10">${shortNumber(v)}</text>`);
    });
    out.push(`<line x1="${plotX}" x2="${px + panelW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#111"/>`);
  });
  const legendW = (W - left - right) / legendCols;
  c.series.forEach((s, i) => {
    const lx = left + (i % legendCols) * legendW;
    const ly = top + plotH + 44 + Math.floor(i / legendCols) * legendRowH;
    out.push(`<rect x="${lx}" y="${ly}" width="14" height="14" fill="${seriesColor(s.runtime, s.shade, i)}"/>`);
    out.push(`<text x="${lx + 20}" y="${ly + 11}">${escapeXml(s.label)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
