/**
 * System calls per request: `strace -f -c` attached to every server
 * process during a separate short run. strace slows the server a lot, so
 * this pass never feeds throughput; only the count per request matters.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

export interface SyscallCount {
  name: string;
  calls: number;
}

export interface StraceSummary {
  total: number;
  /** Most frequent first. */
  byCall: SyscallCount[];
}

/**
 * Parses the `strace -c` table: `% time, seconds, usecs/call, calls,
 * [errors], syscall`. The errors column may be blank, so columns are
 * counted from the left; the `total` line is recomputed, not trusted
 * (its usecs/call column is blank in some strace versions).
 */
export function parseStraceSummary(text: string): StraceSummary {
  const byCall: SyscallCount[] = [];
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || !/^\d+\.\d+$/.test(cols[0]!)) continue;
    const name = cols[cols.length - 1]!;
    if (name === "total") continue;
    byCall.push({ name, calls: Number(cols[3]) });
  }
  byCall.sort((a, b) => b.calls - a.calls);
  return { total: byCall.reduce((s, c) => s + c.calls, 0), byCall };
}

export interface StraceSession {
  /** Resolves once strace reports every thread attached. */
  ready: Promise<void>;
  /** Detaches (SIGINT) and returns the summary. */
  stop(): Promise<StraceSummary>;
}

export function attachStrace(pids: readonly number[], threads: number, outFile: string): StraceSession {
  const args = ["-f", "-c", "-o", outFile, ...pids.flatMap((p) => ["-p", String(p)])];
  const child = spawn("strace", args, { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    let attached = 0;
    // Threads may come and go between counting and attaching: after 3 s,
    // any attachment will do.
    const timer = setTimeout(() => (attached > 0 ? resolve() : reject(new Error("strace did not attach"))), 3_000);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      attached += chunk.split(" attached").length - 1;
      if (attached >= threads) clearTimeout(timer), resolve();
    });
    child.once("exit", () => (clearTimeout(timer), reject(new Error("strace exited before attaching"))));
  });
  return {
    ready,
    async stop() {
      child.kill("SIGINT");
      await exited;
      return parseStraceSummary(readFileSync(outFile, "utf8"));
    },
  };
}

/** Threads of the given processes (strace -f -p attaches each one). */
export function threadCount(pids: readonly number[]): number {
  let n = 0;
  for (const p of pids) {
    try {
      n += Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 1);
    } catch {
      // exited
    }
  }
  return n;
}
