/**
 * Who limited a latency run, in one word per row: valid (the schedule was
 * held: the figures are the server's latency at that rate), generator-bound
 * (the generator used its CPU while the server had room: the figures would
 * be the generator's, so none are shown), server saturated (the server
 * could not keep up: busy CPU, every connection busy, or answers still
 * missing at the end), or invalid (errors or wrong answers, or a schedule
 * lost with neither side busy, e.g. a preempted generator). Pure.
 *
 * Usage: judgeLatency(result, { serverCpu: 0.93, serverCores: 1, generatorProcs: 1 }).verdict
 */
import { SATURATED } from "../measure/validity.ts";
import type { OpenLoopResult } from "../../openloop/result.ts";

export const VERDICTS = ["valid", "generator-bound", "server saturated", "invalid"] as const;
export type LatencyVerdict = (typeof VERDICTS)[number];

export interface RunLoad {
  /** Server CPU over the run / wall time (1 = one core busy). */
  serverCpu: number;
  serverCores: number;
  /** Generator processes (one per --generator-cpus CPU), each single-threaded. */
  generatorProcs: number;
}

/** Generator CPU over the run / wall time, per process (1 = its core busy throughout). */
export function generatorLoad(r: Pick<OpenLoopResult, "generatorCpuUs" | "wallUs">, procs: number): number {
  return r.wallUs > 0 ? r.generatorCpuUs / r.wallUs / procs : NaN;
}

export function judgeLatency(r: OpenLoopResult, load: RunLoad): LatencyVerdict {
  if (r.valid) return "valid";
  const e = r.errors;
  // A failure is a failure whoever was busy: the server answered wrongly or the sockets broke.
  if (e.connect + e.read + e.write + e.status + r.bad > 0 || r.answered === 0) return "invalid";
  const generator = generatorLoad(r, load.generatorProcs);
  const server = load.serverCpu / load.serverCores;
  if (generator >= SATURATED && !(server >= SATURATED)) return "generator-bound";
  if (server >= SATURATED || r.waitedForConnection > 0 || e.timeout > 0 || r.unsent > 0) return "server saturated";
  return "invalid";
}
