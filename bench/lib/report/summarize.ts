/**
 * Turns raw runs into one row per server and scenario: medians of the
 * valid measured runs only, and ratios against the runtime's native
 * server and nginx measured in the same session. Pure.
 */
import type { StraceRecord } from "../measure/runs.ts";
import { capacityPerCore, coefficientOfVariation, median, NOISY_CV, ratio, summarize, type Summary } from "../measure/stats.ts";
import type { RunRecord, ScenarioId, Wire } from "../types.ts";
import { unexpectedReadErrors } from "../measure/validity.ts";
import { runsOn, scenarioConnections, SCENARIOS } from "../types.ts";

export interface InstanceInfo {
  key: string;
  label: string;
  kindId: string;
  /** Serves HTTPS only (its kind's `tls`): runs the TLS scenarios. */
  tls?: boolean;
  /** The wires its kind serves (types.ts runsOn); absent in reports from before the protocol scenarios. */
  serves?: Wire[];
  runtime: string | undefined;
  native: boolean;
  /** hello-server's back end as its listening line named it (socket, syscall, uring); absent for other servers and older reports. */
  io?: string;
  startupMs: number[];
  peakRssBytes: number;
  error?: string;
}

export interface SummaryRow {
  instance: string;
  label: string;
  kindId: string;
  runtime: string | undefined;
  scenario: ScenarioId;
  connections: number;
  /** What rps, capacity and CPU µs count: requests (gRPC calls too) or echoed WebSocket messages; absent (older reports) = requests. */
  unit?: "request" | "message";
  rps: Summary;
  /** Capacity per core of each valid run (1e6 / CPU µs per request), summarized. */
  capacity: Summary;
  /** Coefficient of variation over the valid runs (NaN with fewer than 2). */
  cvRps: number;
  cvCapacity: number;
  /** Either CV above NOISY_CV (10%). */
  noisy: boolean;
  validRuns: number;
  measuredRuns: number;
  /** Why runs were invalid (deduplicated), including a failed validation pass. */
  invalid: string[];
  latencyP50Us: number;
  latencyP99Us: number;
  /** Socket errors + non-2xx + wrong bodies over all measured runs. */
  errors: number;
  cpuPerRequestUs: number;
  peakRssBytes: number;
  syscallsPerRequest: number;
  topSyscalls: string;
  generatorBound: boolean;
  /** Median share of the server's CPUs taken by other processes. */
  foreignCpuShare: number;
  vsNative: number;
  vsNginx: number;
}

function errorCount(r: RunRecord): number {
  const e = r.load.errors;
  const scenario = SCENARIOS.find((s) => s.id === r.scenario)!;
  return e.connect + e.write + e.timeout + e.status + unexpectedReadErrors(r.load, scenario) + r.load.bad;
}

/** Did a run see wrong responses (not just too few of them)? */
export function sawWrongAnswers(r: RunRecord): boolean {
  return r.load.bad > 0 || r.load.errors.status > 0 || r.invalidReasons.some((x) => x.includes("bytes per response"));
}

/** Capacity per core of one run. */
export const runCapacity = (r: RunRecord): number => capacityPerCore(r.cpuPerRequestUs);

export function summarizeRuns(
  instances: readonly InstanceInfo[], runs: readonly RunRecord[], straces: readonly StraceRecord[], scenarios: readonly ScenarioId[],
  connectionCounts: readonly number[] = [...new Set(runs.map((r) => r.connections))].sort((a, b) => a - b),
): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const scenario of scenarios) for (const connections of scenarioConnections(scenario, connectionCounts)) {
    for (const inst of instances) {
      // The TLS scenarios run on the TLS kinds only, the others on the plain ones (types.ts runsOn).
      if (!runsOn(scenario, inst)) continue;
      const mine = runs.filter((r) => r.instance === inst.key && r.scenario === scenario);
      // One warm-up per scenario (at the largest count) validates every count.
      const warm = mine.find((r) => r.run === 0);
      const measured = mine.filter((r) => r.run > 0 && r.connections === connections);
      // A validation pass that saw wrong answers (bodies, non-2xx, byte
      // counts) disqualifies every run. One that only failed to get going
      // (no responses or socket errors: 1 s at 16,384 connections is spent
      // connecting) judged nothing, so it is noted and the runs stand on
      // their own checks.
      const qualified = !warm || warm.valid || !sawWrongAnswers(warm);
      const valid = qualified ? measured.filter((r) => r.valid) : [];
      const invalid = [...new Set([
        ...(inst.error ? [inst.error] : []),
        ...(warm && !warm.valid ? warm.invalidReasons.map((x) => `validation (${warm.connections} connections): ${x}`) : []),
        ...measured.flatMap((r) => r.invalidReasons),
      ])];
      const st = straces.find((s) => s.instance === inst.key && s.scenario === scenario);
      rows.push({
        instance: inst.key,
        label: inst.label,
        kindId: inst.kindId,
        runtime: inst.runtime,
        scenario,
        connections,
        unit: SCENARIOS.find((x) => x.id === scenario)?.unit ?? "request",
        rps: summarize(valid.map((r) => r.requestsPerSec)),
        capacity: summarize(valid.map(runCapacity).filter(Number.isFinite)),
        cvRps: coefficientOfVariation(valid.map((r) => r.requestsPerSec)),
        cvCapacity: coefficientOfVariation(valid.map(runCapacity)),
        noisy: false,
        validRuns: valid.length,
        measuredRuns: measured.length,
        invalid,
        // NaN = a percentile report.lua could not afford (16,384 connections): left out.
        latencyP50Us: median(valid.map((r) => r.load.latencyUs.p50).filter(Number.isFinite)),
        latencyP99Us: median(valid.map((r) => r.load.latencyUs.p99).filter(Number.isFinite)),
        errors: measured.reduce((s, r) => s + errorCount(r), 0),
        cpuPerRequestUs: median(valid.map((r) => r.cpuPerRequestUs)),
        peakRssBytes: inst.peakRssBytes,
        syscallsPerRequest: st?.perRequest ?? NaN,
        topSyscalls: st ? st.top.slice(0, 4).map((c) => `${c.name} ${(c.calls / Math.max(1, st.requests)).toFixed(2)}`).join(", ") : "",
        generatorBound: valid.some((r) => r.generatorBound),
        foreignCpuShare: median(valid.map((r) => r.foreignCpuShare)),
        vsNative: NaN,
        vsNginx: NaN,
      });
    }
  }
  for (const row of rows) {
    row.noisy = row.cvRps > NOISY_CV || row.cvCapacity > NOISY_CV;
    const same = rows.filter((r) => r.scenario === row.scenario && r.connections === row.connections);
    const native = same.find((r) => r.runtime === row.runtime && r.runtime !== undefined && instances.find((i) => i.key === r.instance)?.native);
    // nginx, nginx-tls, nginx-h2, nginx-h2-tls: at most one of them runs a given scenario.
    const nginx = same.find((r) => r.kindId.startsWith("nginx"));
    row.vsNative = ratio(row.rps.median, native?.rps.median);
    row.vsNginx = ratio(row.rps.median, nginx?.rps.median);
  }
  return rows;
}
