/**
 * chart.svg: grouped bars, requests/s per server per scenario, with the
 * min–max of the runs as a whisker. Readable without the table: title,
 * axis, values on the bars and a legend. Pure (string out).
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
  series: ReadonlyArray<{ key: string; label: string; runtime: string | undefined; kindId: string }>;
}

const RUNTIME_HUE: Record<string, number> = { bun: 30, deno: 200, node: 120 };
const GRAY = "#6b7280";

/** Color by runtime, shade by kind (hello-server darkest, native lightest). */
export function seriesColor(runtime: string | undefined, kindId: string, index: number): string {
  if (runtime === undefined) return GRAY;
  const hue = RUNTIME_HUE[runtime] ?? (index * 67) % 360;
  const light = kindId === "hello" ? 38 : kindId === "native" ? 68 : 52;
  return `hsl(${hue}, 70%, ${light}%)`;
}

/** 1, 2, 5 × 10^k at or above v. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function shortNumber(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e5 ? 0 : 1)}k`;
  return v.toFixed(0);
}

export function renderChart(c: ChartInput): string {
  const W = 960, left = 70, right = 20, top = 70, plotH = 320;
  const legendCols = 3, legendRowH = 20;
  const legendRows = Math.ceil(c.series.length / legendCols);
  const H = top + plotH + 40 + legendRows * legendRowH + 20;
  const plotW = W - left - right;
  const groupW = plotW / Math.max(1, c.scenarios.length);
  const barW = Math.min(60, (groupW * 0.8) / Math.max(1, c.series.length));
  const cell = (key: string, sc: ScenarioId) => c.rows.find((r) => r.instance === key && r.scenario === sc);
  const maxV = niceCeil(Math.max(0, ...c.rows.map((r) => (Number.isFinite(r.rps.max) ? r.rps.max : 0))));
  const y = (v: number) => top + plotH - (v / maxV) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(c.title)}</text>`);
  out.push(`<text x="${W / 2}" y="44" text-anchor="middle" fill="#444">${escapeXml(c.subtitle)}</text>`);
  for (let k = 0; k <= 5; k++) {
    const v = (maxV * k) / 5;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#444">${shortNumber(v)}</text>`);
  }
  out.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#444">requests/s (higher is better)</text>`);
  c.scenarios.forEach((sc, g) => {
    const gx = left + g * groupW + (groupW - barW * c.series.length) / 2;
    const label = SCENARIOS.find((s) => s.id === sc)?.label ?? sc;
    out.push(`<text x="${left + g * groupW + groupW / 2}" y="${top + plotH + 18}" text-anchor="middle" font-weight="bold">${escapeXml(label)}</text>`);
    c.series.forEach((s, i) => {
      const row = cell(s.key, sc);
      const x = gx + i * barW;
      const cx = x + barW / 2;
      if (!row || row.validRuns === 0) {
        out.push(`<text transform="translate(${cx + 3} ${top + plotH - 4}) rotate(-90)" font-size="10" fill="#b91c1c">${row ? "invalid" : "n/a"}</text>`);
        return;
      }
      const v = row.rps.median;
      out.push(`<rect x="${x + 1}" y="${y(v)}" width="${barW - 2}" height="${top + plotH - y(v)}" fill="${seriesColor(s.runtime, s.kindId, i)}"><title>${escapeXml(`${s.label}, ${label}: ${Math.round(v)} req/s`)}</title></rect>`);
      if (row.rps.n > 1) out.push(`<line x1="${cx}" x2="${cx}" y1="${y(row.rps.min)}" y2="${y(row.rps.max)}" stroke="#111" stroke-width="1.5"/>`);
      out.push(`<text x="${cx}" y="${y(Math.max(v, row.rps.max)) - 4}" text-anchor="middle" font-size="10">${shortNumber(v)}</text>`);
    });
  });
  out.push(`<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#111"/>`);
  c.series.forEach((s, i) => {
    const lx = left + (i % legendCols) * (plotW / legendCols);
    const ly = top + plotH + 40 + Math.floor(i / legendCols) * legendRowH;
    out.push(`<rect x="${lx}" y="${ly}" width="14" height="14" fill="${seriesColor(s.runtime, s.kindId, i)}"/>`);
    out.push(`<text x="${lx + 20}" y="${ly + 11}">${escapeXml(s.label)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
