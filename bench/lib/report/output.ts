/**
 * Writes results/<timestamp>/: report.json (everything, raw runs included),
 * report.md, capacity.svg (capacity per core, the headline), chart.svg
 * (measured req/s), sweep-<scenario>.svg (with a connection sweep) and
 * index.html (self-contained: the charts inline, sortable tables).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CompareOptions } from "../cli/compare-args.ts";
import type { CpuPlan } from "../servers/cpus.ts";
import type { Machine } from "../servers/machine.ts";
import type { StraceRecord } from "../measure/runs.ts";
import type { Runtime } from "../servers/runtimes.ts";
import type { InstanceInfo, SummaryRow } from "./summarize.ts";
import { SERVER_KINDS } from "../servers/kinds.ts";
import { renderChart, renderSweepChart, type Series } from "./svg.ts";
import { htmlPage } from "./html.ts";
import { latencyTables, rateTitle, type LatencySection } from "../latency/summary.ts";
import { renderLatencyChart, renderSpectrumChart } from "../latency/svg.ts";
import { scenarioTable, syscallTable, toHtml, toMarkdown, type Table } from "./table.ts";
import { isProtocolScenario, scenarioConnections, SCENARIOS, type RunRecord } from "../types.ts";
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
  /** Connection counts measured (a sweep when more than one). */
  connections?: number[];
  summary: SummaryRow[];
  /** Latency at fixed rates (--rates, --rate, --preset latency); absent without rates. */
  latency?: LatencySection;
}

export function methodLines(o: CompareOptions, plan: CpuPlan, generator: string, strace: boolean, connections: readonly number[] = o.connections, fdNote = ""): string[] {
  const sweep = connections.length > 1;
  return [
    `Capacity per core (the headline) = 1,000,000 / server CPU µs per request: the req/s one fully used core would serve. It does not depend on the load generator, so it ranks servers even when the generator, not the server, limited req/s.`,
    `Servers pinned with taskset to CPU ${plan.server}, the load generator to CPU ${plan.generator}` +
      (plan.shared ? " (no spare CPU: they share, so numbers are less trustworthy)" : "") + `; --workers ${o.workers}.`,
    `Load generator: ${generator}${generator.startsWith("wrk") ? "" : " (wrk not installed; built-in, slower)"}, ${sweep ? `connection sweep: ${connections.join(", ")} connections` : `${connections[0]} connections`}${fdNote ? `; ${fdNote}` : ""}.`,
    `Scenarios: ${o.scenarios.map((id) => SCENARIOS.find((x) => x.id === id)?.description ?? id).join("; ")}. Body: ${JSON.stringify(o.body)}.`,
    ...(o.scenarios.some(isProtocolScenario) ? protocolMethod() : []),
    `Before measuring, every server passes the plaintext checks: status 200, Server and Date present, Content-Type text/plain, the exact body, and a Date that changes between two requests 3 s apart.`,
    `Per server and scenario: ${o.primer ? `a primer (8 connections, ${Math.min(5, o.durationS)} s), then ` : ""}one ${o.warmupS} s warm-up at ${Math.max(...connections)} connections that also checks every status and body (discarded), then ${o.runs} run(s) of ${o.durationS} s${sweep ? " at each count" : ""}; servers take turns (A B C … A B C …) so drift hits all alike.`,
    `Reported: median and min–max of the valid runs; "noisy" when the coefficient of variation (sample SD / mean) of capacity or req/s over the runs is above 10%. A run with socket errors, non-2xx responses or wrong bodies (checked in the warm-up, and by byte count in every run) is invalid and never counted.`,
    `CPU µs/req: utime+stime of the server and its child processes (/proc) over the run, divided by responses. Peak RSS: VmHWM summed over the server's processes.`,
    `"generator-bound": the generator used ≥ 90% of its CPUs while the server used < 90% of its own: the generator, not the server, was the limit.`,
    `"contended": other processes (this machine is shared) used > 10% of the server's CPUs during the runs (/proc/stat); CPU µs/req stays meaningful, req/s less so.`,
    strace ? `syscalls/req: a separate ${o.straceS} s run under strace -f -c (slow; only the count per request matters).` : `syscalls/req: not measured (strace ${o.quick ? "skipped by --quick" : "off or not installed"}).`,
    `Ratios: req/s against the same runtime's own server (Bun.serve, Deno.serve, node:http) and against nginx, all measured in this session.`,
  ];
}

/** How the HTTP/2, WebSocket and gRPC rows are measured (bench/lib/measure/protocol-runs.ts). */
function protocolMethod(): string[] {
  return [
    `HTTP/2 and gRPC rows: h2load (Debian's nghttp2-client), one thread pinned to the generator CPU, a fixed connection and stream count per scenario whatever --connections says; each run is an h2load of its own (the warm-up too), so the server's CPU delta covers exactly the counted answers. Only 2xx answers count; any other status, a failed, errored or timed-out request, or a protocol other than the one asked for makes a run invalid.`,
    `Before measuring, every HTTP/2 server answers one exchange over node:http2's client checked where h2load cannot look: a GET gets 200, a date field and the exact body; a gRPC health Check gets grpc-status 0 and the HealthCheckResponse SERVING message. A server failing it gets no counted runs.`,
    `WebSocket rows: bench/ws-echo/ (epoll over bun:ffi, pinned to the generator CPU), every connection's opening handshake checked, every echo checked byte for byte; capacity per core and CPU µs are per echoed message; any failed connection, wrong echo, unexpected frame or close makes a run invalid. Server CPU is sampled over the measured window only (handshakes excluded).`,
    `Protocol rows have no syscalls/req (the strace pass drives wrk only); their generator CPU is the busy time of the generator's CPUs (/proc/stat) for h2load, the generator's own for the WebSocket one.`,
  ];
}

/** Chart series in report order: hue by runtime kind, shifted for a second version of the same kind. */
export function chartSeries(r: Report): Series[] {
  const kinds = new Map<string, string[]>();
  for (const rt of r.runtimes) kinds.set(rt.kind, [...(kinds.get(rt.kind) ?? []), rt.name]);
  return r.instances.map((i) => {
    const rt = i.runtime === undefined ? undefined : r.runtimes.find((x) => x.name === i.runtime);
    return {
      key: i.key,
      label: i.label,
      runtime: rt?.kind,
      shade: Math.max(0, SERVER_KINDS.findIndex((k) => k.id === i.kindId)),
      variant: rt ? Math.max(0, kinds.get(rt.kind)!.indexOf(rt.name)) : 0,
    };
  });
}

/** Every chart of a report: file name, title for the page, SVG text. */
export function renderCharts(r: Report): Array<{ file: string; alt: string; svg: string }> {
  const counts = r.connections ?? [...new Set(r.summary.map((s) => s.connections))];
  const at = counts[0];
  const where = `${r.machine.cpuModel}, ${r.cpuPlan.serverCores} server CPU(s) · ${r.generator.tool} · ${at} connections · median of ${r.options.runs} run(s), whisker = min–max · ${r.startedAt.slice(0, 10)}`;
  const series = chartSeries(r);
  const charts = [
    { file: "capacity.svg", alt: "capacity per core (req/s one core would serve) per server and scenario",
      svg: renderChart({ title: "Capacity per core: req/s one fully used core would serve (1,000,000 / CPU µs per request)", subtitle: where, rows: r.summary, scenarios: r.options.scenarios, series, metric: "capacity", connections: at }) },
    { file: "chart.svg", alt: "measured requests per second per server and scenario, generator-bound bars hatched",
      svg: renderChart({ title: "Measured requests per second (hatched = generator-bound)", subtitle: where, rows: r.summary, scenarios: r.options.scenarios, series, metric: "rps", connections: at }) },
  ];
  charts.push(...latencyCharts(r, series));
  if (counts.length > 1) {
    for (const sc of r.options.scenarios.filter((id) => scenarioConnections(id, counts).length > 1)) {
      charts.push({ file: `sweep-${sc}.svg`, alt: `${sc}: capacity per core and p99 latency against connections`,
        svg: renderSweepChart({ title: `Connection sweep: ${SCENARIOS.find((x) => x.id === sc)?.label ?? sc}`, subtitle: `${r.machine.cpuModel} · ${r.generator.tool} · ${counts.join(", ")} connections · median of ${r.options.runs} run(s)`, rows: r.summary, scenario: sc, series }) });
    }
  }
  return charts;
}

/**
 * latency.svg (p50/p99/p99.9 against rate) and spectrum.svg (the percentile
 * spectrum at the highest rate where some server's runs were valid: the
 * most telling rate that still has data).
 */
function latencyCharts(r: Report, series: ReturnType<typeof chartSeries>): Array<{ file: string; alt: string; svg: string }> {
  const l = r.latency;
  if (!l || !l.summary.some((x) => x.validRuns > 0)) return [];
  const o = l.options;
  const where = `${r.machine.cpuModel} · bench/openloop, ${o.connections} keep-alive connections, ${o.arrivals} arrivals, ${o.durationS} s per rate · ${r.startedAt.slice(0, 10)}`;
  const at = [...l.rates].reverse().find((rate) => l.summary.some((x) => x.rateLabel === rate.label && x.validRuns > 0))!;
  // One chart per pass: keep-alive is latency.svg (its name since before the connection-close pass), connection-close latency-close.svg.
  const passes = (["keepalive", "close"] as const).map((mode) => ({ mode, rates: l.rates.filter((x) => (x.mode ?? "keepalive") === mode) }))
    .filter((p) => l.summary.some((x) => x.validRuns > 0 && p.rates.some((rate) => rate.label === x.rateLabel)));
  return [
    ...passes.map((p) => ({
      file: p.mode === "close" ? "latency-close.svg" : "latency.svg",
      alt: `p50, p99 and p99.9 latency (log scale) against the rate, a line per server (open-loop, ${p.mode === "close" ? "connection-close" : "keep-alive"}, from the scheduled send)`,
      svg: renderLatencyChart({ title: `Latency at fixed rates, ${p.mode === "close" ? "connection-close" : "keep-alive"} (open-loop, from the scheduled send time)`, subtitle: where, rows: l.summary, rates: p.rates, series }),
    })),
    { file: "spectrum.svg", alt: `latency percentile spectrum at ${rateTitle(at)}, a line per server`,
      svg: renderSpectrumChart({ title: `Latency percentile spectrum at ${rateTitle(at)}`, subtitle: where, rows: l.summary.filter((x) => x.rateLabel === at.label), series }) },
  ];
}

export function renderMarkdown(r: Report): { stdout: string; file: string } {
  const tables: Table[] = [...r.options.scenarios.map((s) => scenarioTable(r.summary, s)), ...(r.latency ? latencyTables(r.latency) : [])];
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
  const images = renderCharts(r).map((c) => `![${c.alt}](${c.file})`).join("\n\n");
  return { stdout: `${preface}${body}\n${toMarkdown(startup)}`, file: `${head}${images}\n\n${body}\n${extra}` };
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
  const charts = renderCharts(r);
  for (const c of charts) {
    const problems = xmlProblems(c.svg);
    if (problems.length) throw new Error(`${c.file} is not well-formed: ${problems.join("; ")}`);
  }
  writeFileSync(join(dir, "report.json"), JSON.stringify(r, null, 2));
  writeFileSync(join(dir, "report.md"), md.file);
  for (const c of charts) writeFileSync(join(dir, c.file), c.svg);
  const tables = [...r.options.scenarios.map((s) => scenarioTable(r.summary, s)), ...(r.latency ? latencyTables(r.latency) : [])].map(toHtml).join("\n");
  const sys = syscallTable(r.summary);
  writeFileSync(join(dir, "index.html"), htmlPage({
    title: "hello-server runtime comparison",
    intro: [
      `${r.startedAt} · ${r.machine.cpuModel}, ${r.machine.cores} CPUs, ${r.machine.kernel}`,
      `Runtimes: ${r.runtimes.map((x) => `${x.name} ${x.version}`).join(", ")}${r.nginx ? `, ${r.nginx}` : ""} · generator ${r.generator.version}`,
    ],
    command: r.command,
    method: r.method,
    notes: r.notes,
    charts,
    tablesHtml: `${tables}\n${toHtml(startupTable(r))}${sys.rows.length ? `\n${toHtml(sys)}` : ""}`,
  }));
  return { md: md.file, stdout: md.stdout };
}
