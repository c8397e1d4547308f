/**
 * Open-file limits for connection sweeps. 16,384 connections need that
 * many descriptors in the generator and again in the server, above the
 * usual soft limit of 1,024. Servers and the generator are started under
 * `prlimit --nofile=N:N` (util-linux): raising the soft limit up to the hard
 * one works for anyone, above the hard one needs root (CAP_SYS_RESOURCE).
 * A count the limit cannot carry is skipped, and the report says so.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Descriptors besides the connections: listener, epoll, runtime internals, stdio. */
export const FD_HEADROOM = 1024;

export interface FdPlan {
  /** The RLIMIT_NOFILE servers and generator run with. */
  limit: number;
  /** argv prefix that sets it (empty: inherited as is). */
  prefix: string[];
  /** What was done, for the report's method. */
  note: string;
}

/** Soft and hard RLIMIT_NOFILE of this process, from /proc/self/limits. */
export function currentNofile(limits = readLimits()): { soft: number; hard: number } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const n = (s: string | undefined) => (s === undefined || s === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(s));
  return m ? { soft: n(m[1]), hard: n(m[2]) } : { soft: 1024, hard: 1024 };
}

function readLimits(): string {
  try {
    return readFileSync("/proc/self/limits", "utf8");
  } catch {
    return "";
  }
}

const tryPrlimit = (soft: number, hard: number) =>
  spawnSync("prlimit", [`--nofile=${soft}:${hard}`, "true"], { stdio: "ignore" }).status === 0;

/** The limit for the largest count: raised when needed and possible. */
export function planFdLimit(maxConnections: number): FdPlan {
  const need = maxConnections + FD_HEADROOM;
  const { soft, hard } = currentNofile();
  if (soft >= need) return { limit: soft, prefix: [], note: `open-file limit ${soft} (enough)` };
  const hardNeed = Math.max(need, hard);
  if (tryPrlimit(need, hardNeed)) return { limit: need, prefix: ["prlimit", `--nofile=${need}:${hardNeed}`], note: `open-file limit raised from ${soft} to ${need} (prlimit)` };
  if (hard > soft && tryPrlimit(hard, hard)) return { limit: hard, prefix: ["prlimit", `--nofile=${hard}:${hard}`], note: `open-file limit raised from ${soft} to the hard limit ${hard} (not root: cannot go higher)` };
  return { limit: soft, prefix: [], note: `open-file limit ${soft} (could not raise it: prlimit missing or not permitted)` };
}

/** The counts the limit can carry, and a note for each one it cannot. Pure. */
export function connectionsWithin(counts: readonly number[], limit: number): { ok: number[]; skipped: string[] } {
  const ok = counts.filter((c) => c + FD_HEADROOM <= limit);
  const skipped = counts.filter((c) => c + FD_HEADROOM > limit).map((c) =>
    `${c} connections skipped: the open-file limit is ${limit}, ${c} connections need about ${c + FD_HEADROOM} (raise the hard limit, e.g. run as root or \`ulimit -Hn ${c + FD_HEADROOM}\`)`);
  return { ok, skipped };
}
