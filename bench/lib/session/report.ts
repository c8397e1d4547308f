/**
 * The last step of a comparison: everything measured, as one Report
 * (report.json's shape), summaries included.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { latencyMethod, summarizeLatency, type LatencySection } from "../latency/summary.ts";
import type { StraceRecord } from "../measure/runs.ts";
import { methodLines, type Report } from "../report/output.ts";
import { summarizeRuns } from "../report/summarize.ts";
import type { RunRecord, ScenarioId } from "../types.ts";
import { firstLine, type Session } from "./plan.ts";

export interface Measured {
  runs: RunRecord[];
  straces: StraceRecord[];
  latency?: LatencySection;
}

/** The single executables next to the bundle, with their sizes. */
function executables(root: string): Report["executables"] {
  return ["hello-server", "hello-server-node", "hello-server-deno"]
    .filter((f) => existsSync(join(root, f)))
    .map((f) => ({ path: `./${f}`, bytes: statSync(join(root, f)).size }));
}

export function assembleReport(s: Session, m: Measured, argv: readonly string[]): Report {
  const instances = [...s.info.values()];
  const scenarioIds = s.scenarios.map((x) => x.id as ScenarioId);
  const latency = m.latency && { ...m.latency, summary: summarizeLatency(instances, m.latency.rates, m.latency.records) };
  return {
    version: 1,
    startedAt: s.startedAt,
    finishedAt: new Date().toISOString(),
    command: ["bun bench/compare.ts", ...argv].join(" "),
    options: s.opts,
    machine: s.machine,
    runtimes: s.runtimes,
    missingRuntimes: s.missingRuntimes,
    nginx: s.nginx ? firstLine(s.nginx, ["-v"]).replace("nginx version: ", "") : undefined,
    generator: { tool: s.tool.kind, version: s.toolName, cpus: s.cpus.generator, threads: Math.min(s.cpus.generatorCores, s.connectionCounts[0]!) },
    cpuPlan: s.cpus,
    method: [...methodLines(s.opts, s.cpus, s.toolName, s.strace, s.connectionCounts, s.fd.note), ...(latency ? latencyMethod(latency, s.cpus.generator) : [])],
    notes: s.notes,
    instances,
    runs: m.runs,
    strace: m.straces,
    executables: executables(s.root),
    connections: s.connectionCounts,
    summary: summarizeRuns(instances, m.runs, m.straces, scenarioIds, s.connectionCounts),
    ...(latency ? { latency } : {}),
  };
}
