/** The machine a report ran on: CPU model, cores, kernel, memory. */
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  cpuModel: string;
  cores: number;
  kernel: string;
  memoryBytes: number;
  hostname: string;
}

export function describeMachine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpuModel,
    cores: os.availableParallelism(),
    kernel: `${os.type()} ${os.release()}`,
    memoryBytes: os.totalmem(),
    hostname: os.hostname(),
  };
}
