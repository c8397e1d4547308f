/**
 * One result from the N generator processes of a share (client.ts
 * `share`): they sent disjoint parts of one schedule, so their counts add
 * up and their HdrHistograms add exactly (same range and precision: every
 * recorded value lands in the same bucket it had). Pure.
 *
 * Usage: const whole = mergeResults(parts.map(parseOpenLoopOutput))
 */
import { decodeHistogram, encodeHistogram, newHistogram, percentiles, spectrum } from "./histogram.ts";
import { invalidReasons, type OpenLoopResult } from "./result.ts";

/** "3× no Content-Length": a part's problems, not recomputable from counts, carried over. */
const PROBLEM = /^\d+× /;

export function mergeResults(parts: readonly OpenLoopResult[]): OpenLoopResult {
  if (parts.length === 0) throw new Error("no generator results to merge");
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  const latency = newHistogram(), lateness = newHistogram();
  for (const p of parts) {
    latency.add(decodeHistogram(p.histograms.latency));
    lateness.add(decodeHistogram(p.histograms.lateness));
  }
  const sum = (f: (p: OpenLoopResult) => number) => parts.reduce((n, p) => n + f(p), 0);
  const merged: Omit<OpenLoopResult, "valid" | "invalidReasons"> = {
    ...first,
    connections: sum((p) => p.connections),
    scheduled: sum((p) => p.scheduled), sent: sum((p) => p.sent), sentInWindow: sum((p) => p.sentInWindow), answered: sum((p) => p.answered),
    achievedRate: sum((p) => p.achievedRate), unsent: sum((p) => p.unsent),
    errors: {
      connect: sum((p) => p.errors.connect), read: sum((p) => p.errors.read), write: sum((p) => p.errors.write),
      status: sum((p) => p.errors.status), timeout: sum((p) => p.errors.timeout),
    },
    checked: sum((p) => p.checked), bad: sum((p) => p.bad), waitedForConnection: sum((p) => p.waitedForConnection),
    retried: sum((p) => p.retried), reconnects: sum((p) => p.reconnects),
    latencyUs: percentiles(latency), latenessUs: percentiles(lateness), spectrum: spectrum(latency),
    histograms: { latency: encodeHistogram(latency), lateness: encodeHistogram(lateness) },
    generatorCpuUs: sum((p) => p.generatorCpuUs), wallUs: Math.max(...parts.map((p) => p.wallUs)),
  };
  const reasons = [...invalidReasons(merged), ...new Set(parts.flatMap((p) => p.invalidReasons.filter((r) => PROBLEM.test(r))))];
  return { ...merged, valid: reasons.length === 0, invalidReasons: reasons };
}
