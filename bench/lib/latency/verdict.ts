/**
 * Who limited a latency run, in one word per row: valid (the schedule was
 * held: the figures are the server's latency at that rate), generator-bound
 * (the generator used its CPU while the server had room, or kept the
 * schedule with its own sends late: the figures would be the generator's,
 * so none are shown), server saturated (the server
 * could not keep up: busy CPU, every connection busy, or answers still
 * missing at the end), or invalid (errors or wrong answers, or a schedule
 * lost with neither side busy, e.g. a preempted generator). Pure.
 *
 * Usage: judgeLatency(result, { serverCpu: 0.93, serverCores: 1, generatorProcs: 1 }).verdict
 */
import { SATURATED } from "../measure/validity.ts";
import { MIN_ACHIEVED_SHARE, type OpenLoopResult } from "../../openloop/result.ts";

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
  // Send lateness counts from when a request could have left (its time, or when its connection
  // came free), so a slow server never shows in it. A run that kept its schedule and failed only
  // the lateness bound was held up by the generator, however busy the server was: generator-bound
  // when the generator's core was busy, invalid when it was not (a preempted generator). Measured
  // 2026-12-07: hello-server at 90% of its own capacity, server CPU 90%, generator 95%, every
  // request sent in the window, lateness p90 340 µs; calling it "server saturated" was wrong.
  const held = r.scheduled > 0 && r.sentInWindow >= MIN_ACHIEVED_SHARE * r.scheduled && r.unsent === 0 && e.timeout === 0 && r.answered === r.scheduled;
  if (held) return generator >= SATURATED ? "generator-bound" : "invalid";
  if (generator >= SATURATED && !(server >= SATURATED)) return "generator-bound";
  if (server >= SATURATED || r.waitedForConnection > 0 || e.timeout > 0 || r.unsent > 0) return "server saturated";
  return "invalid";
}
