/** Report tables as data, rendered to Markdown or HTML. Pure. */
import type { SummaryRow } from "./summarize.ts";
import { SCENARIOS, type ScenarioId } from "../types.ts";

/** Above this share of the server's CPU used by others, a row is marked contended. */
export const CONTENDED = 0.1;

export interface Table {
  title: string;
  head: string[];
  rows: string[][];
}

const num = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "—");
const times = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "—");
const ms = (us: number) => (Number.isFinite(us) ? (us / 1000).toFixed(us < 10_000 ? 2 : 1) : "—");
const mb = (b: number) => (b > 0 ? (b / 2 ** 20).toFixed(1) : "—");

export function formatRps(row: SummaryRow): string {
  if (row.validRuns === 0) return "invalid";
  const spread = row.rps.n > 1 ? ` (${num(row.rps.min)}–${num(row.rps.max)})` : "";
  return `${num(row.rps.median)}${spread}`;
}

/** Capacity per core, median (min–max) of the runs. */
export function formatCapacity(row: SummaryRow): string {
  if (row.validRuns === 0) return "invalid";
  if (row.capacity.n === 0) return "—";
  const spread = row.capacity.n > 1 ? ` (${num(row.capacity.min)}–${num(row.capacity.max)})` : "";
  return `${num(row.capacity.median)}${spread}`;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

function notes(row: SummaryRow): string {
  const out: string[] = [];
  if (row.noisy) {
    const cvs = [Number.isFinite(row.cvCapacity) ? `capacity ${pct(row.cvCapacity)}` : "", Number.isFinite(row.cvRps) ? `req/s ${pct(row.cvRps)}` : ""].filter(Boolean);
    out.push(`noisy (CV ${cvs.join(", ")})`);
  }
  if (row.generatorBound) out.push("generator-bound");
  if (row.foreignCpuShare > CONTENDED) out.push(`contended: ${Math.round(row.foreignCpuShare * 100)}% of server CPU used by other processes`);
  if (row.validRuns < row.measuredRuns || row.validRuns === 0) out.push(`${row.measuredRuns - row.validRuns}/${row.measuredRuns} runs invalid`);
  if (row.invalid.length > 0) out.push(row.invalid.slice(0, 2).join("; "));
  return out.join("; ");
}

/**
 * One table per scenario. Capacity per core leads: it ranks servers even
 * where the generator, not the server, set the req/s. With a connection
 * sweep a `connections` column follows the server.
 */
export function scenarioTable(rows: readonly SummaryRow[], scenario: ScenarioId): Table {
  const label = SCENARIOS.find((s) => s.id === scenario)?.label ?? scenario;
  const mine = rows.filter((r) => r.scenario === scenario);
  const sweep = new Set(mine.map((r) => r.connections)).size > 1;
  // The WebSocket rows count echoed messages, every other row requests.
  const u = SCENARIOS.find((s) => s.id === scenario)?.unit === "message" ? "msg" : "req";
  return {
    title: sweep ? `${label} · connection sweep` : `${label} · ${mine[0]?.connections ?? "?"} connections`,
    head: ["server", ...(sweep ? ["connections"] : []), `capacity/core ${u}/s (min–max)`, `${u}/s median (min–max)`, "vs native", "vs nginx", "p50 ms", "p99 ms", "errors", `CPU µs/${u}`, `syscalls/${u}`, "peak RSS MB", "notes"],
    rows: mine.map((r) => [
      r.label, ...(sweep ? [String(r.connections)] : []), formatCapacity(r), formatRps(r), times(r.vsNative), times(r.vsNginx), ms(r.latencyP50Us), ms(r.latencyP99Us),
      String(r.errors), num(r.cpuPerRequestUs, 1), num(r.syscallsPerRequest, 1), mb(r.peakRssBytes), notes(r),
    ]),
  };
}

export function syscallTable(rows: readonly SummaryRow[]): Table {
  return {
    title: "top system calls per request (strace -f -c)",
    head: ["server", "scenario", "syscalls/req", "top"],
    rows: rows.filter((r) => r.topSyscalls).map((r) => [r.label, r.scenario, num(r.syscallsPerRequest, 2), r.topSyscalls]),
  };
}

export function toMarkdown(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [`| ${t.head.map(esc).join(" | ")} |`, `|${t.head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`];
  for (const row of t.rows) lines.push(`| ${row.map(esc).join(" | ")} |`);
  return `### ${t.title}\n\n${lines.join("\n")}\n`;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** A table for index.html: class "sortable" (its headers sort on click), scrolls sideways on a phone. */
export function toHtml(t: Table): string {
  const cells = (row: string[], tag: string) => row.map((c) => `<${tag}>${escapeXml(c)}</${tag}>`).join("");
  const head = t.head.map((h) => `<th><button type="button">${escapeXml(h)}</button></th>`).join("");
  return `<h3>${escapeXml(t.title)}</h3>\n<div class="scroll"><table class="sortable">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${t.rows.map((r) => `<tr>${cells(r, "td")}</tr>`).join("\n")}\n</tbody>\n</table></div>\n`;
}
