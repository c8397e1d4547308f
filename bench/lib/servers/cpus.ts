/**
 * Which CPUs the server and the load generator get. The server gets the
 * first `workers` CPUs, the generator the rest, so they never compete;
 * with no CPU left over both share all of them, and the report says so.
 * Pure.
 */
export interface CpuPlan {
  /** taskset -c list for the server. */
  server: string;
  serverCores: number;
  /** taskset -c list for the generator. */
  generator: string;
  generatorCores: number;
  /** Server and generator run on the same CPUs (numbers less trustworthy). */
  shared: boolean;
}

function list(from: number, to: number): string {
  return from === to ? String(from) : `${from}-${to}`;
}

export function planCpus(cpuCount: number, workers: number): CpuPlan {
  if (cpuCount < 1 || workers < 1) throw new RangeError("need at least one CPU and one worker");
  if (workers < cpuCount) {
    return {
      server: list(0, workers - 1),
      serverCores: workers,
      generator: list(workers, cpuCount - 1),
      generatorCores: cpuCount - workers,
      shared: false,
    };
  }
  const all = list(0, cpuCount - 1);
  return { server: all, serverCores: cpuCount, generator: all, generatorCores: cpuCount, shared: true };
}
