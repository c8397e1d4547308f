/**
 * The latency step of a comparison: after the throughput runs, every
 * plain-HTTP server at each fixed rate on the open-loop generator. The
 * shares are of capacities measured by the throughput runs of this same
 * session.
 */
import { runLatencyPass } from "../latency/run.ts";
import { resolveRates, type LatencySection } from "../latency/summary.ts";
import { summarizeRuns } from "../report/summarize.ts";
import type { Running } from "../servers/kinds.ts";
import type { RunRecord, ScenarioId } from "../types.ts";
import type { Session } from "./plan.ts";

export async function latencyStep(s: Session, running: readonly Running[], runs: readonly RunRecord[]): Promise<LatencySection | undefined> {
  const o = s.opts.latency;
  if (o.rates.length === 0) return undefined;
  const rows = summarizeRuns([...s.info.values()], runs, [], s.scenarios.map((x) => x.id as ScenarioId), s.connectionCounts);
  const { rates, basis, notes } = resolveRates(o.rates, rows, s.cpus.serverCores, o.modes);
  s.notes.push(...notes);
  s.log(`latency: ${rates.map((r) => `${r.label} = ${r.perInstance ? "own capacity share" : `${r.rps} req/s`}`).join(", ")}${basis && rates.some((r) => r.share !== undefined && !r.perInstance) ? ` (--rates shares of ${basis.label}'s ${Math.round(basis.rps)} req/s)` : ""}, ${o.durationS} s each`);
  // Plain HTTP only: the open-loop generator speaks no TLS.
  const plain = running.filter((r) => r.instance.kind.tls !== true);
  const records = await runLatencyPass({ options: o, rates, generatorCpus: s.cpus.generator, serverCores: s.cpus.serverCores, bun: process.execPath, body: s.opts.body, prefix: s.fd.prefix, log: s.log }, plain);
  return { options: o, basis, rates, records, summary: [] };
}
