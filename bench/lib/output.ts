/** Writes results/<timestamp>/{report.json, report.md, chart.svg, index.html}. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CompareOptions } from "./args.ts";
import type { CpuPlan } from "./cpus.ts";
import type { Machine } from "./machine.ts";
import type { StraceRecord } from "./measure.ts";
import type { Runtime } from "./runtimes.ts";
import type { InstanceInfo, SummaryRow } from "./summarize.ts";
import { SERVER_KINDS } from "./servers.ts";
import { renderChart } from "./svg.ts";
import { escapeXml, scenarioTable, syscallTable, toHtml, toMarkdown, type Table } from "./table.ts";
import type { RunRecord } from "./types.ts";
import { xmlProblems } from "./xml.ts";

export interface Report {
  version: 1;
  startedAt: string;
  finishedAt: string;
  command: string;
  options: CompareOptions;
  machine: Machine;
  runtimes: Runtime[];
  missingRuntimes: string[];
  nginx: string | undefined;
  generator: { tool: string; version: string; cpus: string; threads: number };
  cpuPlan: CpuPlan;
  method: string[];
  notes: string[];
  instances: InstanceInfo[];
  runs: RunRecord[];
  strace: StraceRecord[];
  executables: Array<{ path: string; bytes: number }>;
  summary: SummaryRow[];
}

export function methodLines(o: CompareOptions, plan: CpuPlan, generator: string, strace: boolean): string[] {
  return [
    `Servers pinned with taskset to CPU ${plan.server}, the load generator to CPU ${plan.generator}` +
      (plan.shared ? " (no spare CPU: they share, so numbers are less trustworthy)" : "") + `; --workers ${o.workers}.`,
    `Load generator: ${generator}${generator.startsWith("wrk") ? "" : " (wrk not installed; built-in, slower)"}, ${o.connections} connections.`,
    `Scenarios: keep-alive; pipelined ×16 (16 requests per write); connection-close (Connection: close, one request per connection).`,
    `Per server and scenario: one ${o.warmupS} s warm-up that also checks every status and body (discarded), then ${o.runs} run(s) of ${o.durationS} s; servers take turns (A B C … A B C …) so drift hits all alike.`,
    `Reported: median and min–max of the valid runs. A run with socket errors, non-2xx responses or wrong bodies (checked in the warm-up, and by byte count in every run) is invalid and never counted.`,
    `CPU µs/req: utime+stime of the server and its child processes (/proc) over the run, divided by responses. Peak RSS: VmHWM summed over the server's processes.`,
    `"generator-bound": the generator used ≥ 90% of its CPUs while the server used < 90% of its own: the generator, not the server, was the limit.`,
    `"contended": other processes (this machine is shared) used > 10% of the server's CPUs during the runs (/proc/stat); CPU µs/req stays meaningful, req/s less so.`,
    strace ? `syscalls/req: a separate ${o.straceS} s run under strace -f -c (slow; only the count per request matters).` : `syscalls/req: not measured (strace ${o.quick ? "skipped by --quick" : "off or not installed"}).`,
    `Ratios: req/s against the same runtime's own server (Bun.serve, Deno.serve, node:http) and against nginx, all measured in this session.`,
  ];
}

export function renderMarkdown(r: Report): { stdout: string; file: string } {
  const tables: Table[] = r.options.scenarios.map((s) => scenarioTable(r.summary, s));
  const body = tables.map(toMarkdown).join("\n");
  const startup = startupTable(r);
  const sys = syscallTable(r.summary);
  const head = [
    `# hello-server runtime comparison`,
    ``,
    `${r.startedAt} · \`${r.command}\``,
    ``,
    `Machine: ${r.machine.cpuModel}, ${r.machine.cores} CPUs, ${r.machine.kernel}. Runtimes: ${r.runtimes.map((x) => `${x.name} ${x.version}`).join(", ")}${r.nginx ? `, ${r.nginx}` : ""}.`,
    ``,
    `## Method`,
    ``,
    ...r.method.map((m) => `- ${m}`),
    ...(r.notes.length ? ["", "## Notes", "", ...r.notes.map((n) => `- ${n}`)] : []),
    ``,
    `## Results`,
    ``,
    ``,
  ].join("\n");
  const extra = [toMarkdown(startup), sys.rows.length ? toMarkdown(sys) : ""].join("\n");
  const preface = `${r.machine.cpuModel}, ${r.machine.cores} CPUs · ${r.runtimes.map((x) => `${x.name} ${x.version}`).join(", ")} · ${r.generator.version} · median of ${r.options.runs} run(s) × ${r.options.durationS} s\n\n`;
  return { stdout: `${preface}${body}\n${toMarkdown(startup)}`, file: `${head}${body}\n![requests per second](chart.svg)\n\n${extra}` };
}

function startupTable(r: Report): Table {
  const rows = r.instances.map((i) => {
    const s = [...i.startupMs].sort((a, b) => a - b);
    const med = s.length ? s[s.length >> 1]! : NaN;
    return [i.label, Number.isFinite(med) ? med.toFixed(0) : "—", String(s.length)];
  });
  for (const e of r.executables) rows.push([`executable ${e.path}`, "", `${(e.bytes / 2 ** 20).toFixed(1)} MB`]);
  return { title: "start to first response (ms, median) and executable sizes", head: ["server", "ms", "samples / size"], rows };
}

export function writeReport(dir: string, r: Report): { md: string; stdout: string } {
  mkdirSync(dir, { recursive: true });
  const md = renderMarkdown(r);
  const svg = renderChart({
    title: "hello-server vs native servers: requests per second",
    subtitle: `${r.machine.cpuModel}, ${r.cpuPlan.serverCores} server CPU(s) · ${r.generator.tool} · median of ${r.options.runs} run(s), whisker = min–max · ${r.startedAt.slice(0, 10)}`,
    rows: r.summary,
    scenarios: r.options.scenarios,
    series: r.instances.map((i) => ({
      key: i.key,
      label: i.label,
      runtime: i.runtime === undefined ? undefined : r.runtimes.find((x) => x.name === i.runtime)?.kind,
      shade: Math.max(0, SERVER_KINDS.findIndex((k) => k.id === i.kindId)),
    })),
  });
  const problems = xmlProblems(svg);
  if (problems.length) throw new Error(`chart.svg is not well-formed: ${problems.join("; ")}`);
  writeFileSync(join(dir, "report.json"), JSON.stringify(r, null, 2));
  writeFileSync(join(dir, "report.md"), md.file);
  writeFileSync(join(dir, "chart.svg"), svg);
  const tables = r.options.scenarios.map((s) => toHtml(scenarioTable(r.summary, s))).join("\n");
  writeFileSync(join(dir, "index.html"), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hello-server runtime comparison</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin-bottom:1.5em}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}</style>
</head><body>
<h1>hello-server runtime comparison</h1>
<p>${escapeXml(r.startedAt)} · <code>${escapeXml(r.command)}</code><br>${escapeXml(`${r.machine.cpuModel}, ${r.machine.cores} CPUs, ${r.machine.kernel}; ${r.runtimes.map((x) => `${x.name} ${x.version}`).join(", ")}`)}</p>
<img src="chart.svg" alt="requests per second per server and scenario">
${tables}
${toHtml(startupTable(r))}
<h2>Method</h2><ul>${r.method.map((m) => `<li>${escapeXml(m)}</li>`).join("")}</ul>
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((m) => `<li>${escapeXml(m)}</li>`).join("")}</ul>` : ""}
</body></html>
`);
  return { md: md.file, stdout: md.stdout };
}
