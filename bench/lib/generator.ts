/**
 * Runs the load generator pinned to its CPUs: wrk when installed, else
 * bench/load.ts. Returns the exact load result plus the generator's own
 * CPU time (from rusage), to flag generator-bound runs.
 */
import { join } from "node:path";
import type { GeneratorUsage, LoadResult } from "./types.ts";
import { parseLoadOutput, wrkArgs, writeWrkScript, type LoadRequest } from "./wrk.ts";

export type GeneratorTool = { kind: "wrk"; path: string } | { kind: "load.ts"; argv: string[] };

export interface GeneratorRun {
  load: LoadResult;
  usage: GeneratorUsage;
}

export async function runGenerator(tool: GeneratorTool, req: LoadRequest, cpus: string, cores: number, tmp: string): Promise<GeneratorRun> {
  const argv =
    tool.kind === "wrk"
      ? [tool.path, ...wrkArgs(req, writeWrkScript(tmp, req.scenario, req.check))]
      : [...tool.argv, join(import.meta.dir, "../load.ts"), ...loadArgs(req)];
  const started = performance.now();
  const proc = Bun.spawn(["taskset", "-c", cpus, ...argv], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  const wallUs = (performance.now() - started) * 1000;
  if (code !== 0) throw new Error(`${tool.kind} exited with ${code}: ${stderr.trim().slice(0, 500)}`);
  const cpu = proc.resourceUsage()?.cpuTime;
  return {
    load: parseLoadOutput(stdout),
    usage: { cpuUs: cpu ? Number(cpu.user + cpu.system) : NaN, wallUs, cores },
  };
}

export function loadArgs(req: LoadRequest): string[] {
  return [
    "--url", req.url,
    "--connections", String(req.connections),
    "--duration", String(req.durationS),
    "--pipeline", String(req.scenario.pipeline),
    ...(req.scenario.close ? ["--close"] : []),
    ...(req.check ? ["--check"] : []),
  ];
}
