/**
 * Runs the load generator pinned to its CPUs: wrk when installed, else
 * bench/load.ts. Returns the exact load result plus the generator's own
 * CPU time (from rusage), to flag generator-bound runs.
 */
import { join } from "node:path";
import { treeCpuUs } from "./proc.ts";
import type { GeneratorUsage, LoadResult } from "../types.ts";
import { parseLoadOutput, wrkArgs, writeWrkScript, type LoadRequest } from "./wrk.ts";

/** `prefix`: argv run before taskset (prlimit raising the open-file limit for sweeps). */
export type GeneratorTool = ({ kind: "wrk"; path: string } | { kind: "load.ts"; argv: string[] }) & { prefix?: string[] };

export interface GeneratorRun {
  load: LoadResult;
  usage: GeneratorUsage;
}

export async function runGenerator(tool: GeneratorTool, req: LoadRequest, cpus: string, cores: number, tmp: string): Promise<GeneratorRun> {
  const argv =
    tool.kind === "wrk"
      ? [tool.path, ...wrkArgs(req, writeWrkScript(tmp, req.scenario, req.check))]
      : [...tool.argv, join(import.meta.dir, "../../load.ts"), ...loadArgs(req)];
  const started = performance.now();
  // The validation pass compares bodies with --body: wrk/check.lua reads it from the environment.
  const env = { ...process.env, HELLO_EXPECTED_BODY: req.body ?? "hello" };
  const proc = Bun.spawn([...(tool.prefix ?? []), "taskset", "-c", cpus, ...argv], { stdout: "pipe", stderr: "pipe", env });
  // Sample the generator's CPU just before the run ends: wrk spends up to
  // seconds afterwards correcting its latency histogram (measured: 3.4 s
  // of CPU after a 1 s run with p99 = 500 ms), which is not load generation.
  let sample: { cpuUs: number; wallUs: number } | undefined;
  const timer = setTimeout(() => {
    const cpuUs = treeCpuUs(proc.pid);
    if (cpuUs > 0) sample = { cpuUs, wallUs: (performance.now() - started) * 1000 };
  }, Math.max(100, req.durationS * 1000 - 50));
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${tool.kind} exited with ${code}: ${stderr.trim().slice(0, 500)}`);
  const cpu = proc.resourceUsage()?.cpuTime;
  const whole = { cpuUs: cpu ? Number(cpu.user + cpu.system) : NaN, wallUs: (performance.now() - started) * 1000 };
  return { load: parseLoadOutput(stdout), usage: { ...(sample ?? whole), cores } };
}

export function loadArgs(req: LoadRequest): string[] {
  return [
    "--url", req.url,
    "--connections", String(req.connections),
    "--duration", String(req.durationS),
    "--pipeline", String(req.scenario.pipeline),
    ...(req.scenario.close ? ["--close"] : []),
    ...(req.check ? ["--check"] : []),
    ...(req.body !== undefined ? ["--body", req.body] : []),
  ];
}
