/**
 * Per-process figures from Linux /proc: CPU time (utime+stime, including
 * reaped children) and peak RSS (VmHWM), summed over a process and all its
 * descendants, so multi-process servers are counted whole.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second for /proc/PID/stat times (USER_HZ). */
const TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // the process exited meanwhile
  }
}

/** pid and every descendant, from /proc/PID/task/TID/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  for (let guard = 0; queue.length > 0 && guard < 10_000; guard++) {
    const p = queue.shift()!;
    out.push(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      const kids = read(`/proc/${p}/task/${tid}/children`) ?? "";
      for (const k of kids.split(/\s+/)) if (k) queue.push(Number(k));
    }
  }
  return out;
}

/**
 * Fields after the `(comm)` of /proc/PID/stat, which may itself contain
 * spaces and parentheses (proc(5): comm is field 2, utime 14, stime 15,
 * cutime 16, cstime 17).
 */
export function parseStatTimes(stat: string): { utime: number; stime: number; cutime: number; cstime: number } {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  return { utime: Number(rest[11]), stime: Number(rest[12]), cutime: Number(rest[13]), cstime: Number(rest[14]) };
}

/** CPU time of the tree in µs. */
export function treeCpuUs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const stat = read(`/proc/${p}/stat`);
    if (!stat) continue;
    const t = parseStatTimes(stat);
    ticks += t.utime + t.stime + t.cutime + t.cstime;
  }
  return (ticks * 1e6) / TICKS;
}

/** Sum of VmHWM (peak resident set) over the tree, bytes. */
export function treePeakRss(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    const m = /VmHWM:\s+(\d+) kB/.exec(read(`/proc/${p}/status`) ?? "");
    if (m) kb += Number(m[1]);
  }
  return kb * 1024;
}

/** Busy jiffies (all but idle and iowait) per CPU, from /proc/stat. */
export function cpuBusyTicks(): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of (read("/proc/stat") ?? "").split("\n")) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (proc(5)); guest is inside user.
    const busy = f.slice(0, 8).reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0);
    out.set(Number(m[1]), busy);
  }
  return out;
}

/** Busy µs of the given CPUs between two cpuBusyTicks() samples. */
export function busyUs(before: Map<number, number>, after: Map<number, number>, cpus: readonly number[]): number {
  let ticks = 0;
  for (const c of cpus) ticks += (after.get(c) ?? 0) - (before.get(c) ?? 0);
  return (ticks * 1e6) / TICKS;
}

/** Expands a taskset list ("0", "0-2", "1,3") to CPU numbers. Pure. */
export function cpuList(list: string): number[] {
  return list.split(",").flatMap((part) => {
    const [a, b] = part.split("-").map(Number);
    return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
  });
}
