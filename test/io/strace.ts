/**
 * System calls per request: `strace -f -c` attached to a serving process
 * (every thread) while a load runs, and the loads it counts over. Shared by
 * test/io/syscalls.test.ts (--io syscall) and test/io/uring.test.ts (--io uring).
 * Needs strace (harness.ts's hasStrace says whether it is installed).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
export const GET_CLOSE = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
/** The end of every answer to GET / with the default body. */
export const RESPONSE_END = "\r\n\r\nhello";
/** Connections open at once in both loads. */
export const CONCURRENCY = 32;

/** `count` requests, each on its own connection, `CONCURRENCY` at a time. */
export async function closeLoad(port: number, count: number): Promise<void> {
  let started = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => s.write(GET_CLOSE));
      let got = "";
      s.on("data", (d: Buffer) => (got += d.toString("latin1")));
      s.on("error", reject);
      s.on("end", () => {
        s.destroy();
        if (got.endsWith(RESPONSE_END)) resolve();
        else reject(new Error(`bad reply ${JSON.stringify(got)}`));
      });
    });
  const lane = async () => {
    while (started < count) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

/**
 * `CONCURRENCY` connections, each sending `rounds` × `depth` requests, `depth` per write
 * (1: one request at a time; 16: pipelined ×16). Requests answered = rounds × depth × CONCURRENCY.
 */
export async function keepAliveLoad(port: number, rounds: number, depth = 1): Promise<void> {
  const lane = () =>
    new Promise<void>((resolve, reject) => {
      const batch = GET.repeat(depth);
      const s = connect(port, "127.0.0.1", () => s.write(batch));
      let got = "";
      let answered = 0;
      s.on("error", reject);
      s.on("data", (d: Buffer) => {
        got += d.toString("latin1");
        let at: number;
        while ((at = got.indexOf(RESPONSE_END)) >= 0) {
          got = got.slice(at + RESPONSE_END.length);
          answered++;
          if (answered === rounds * depth) {
            s.destroy();
            return resolve();
          }
          if (answered % depth === 0) s.write(batch);
        }
      });
    });
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

export interface SyscallCount {
  /** Every system call strace counted, all threads. */
  total: number;
  /** strace's summary table, to print when a bound fails. */
  table: string;
}

/** Runs `load` with `strace -f -c` attached to `pid`; returns the total system calls and the table. */
export async function countSyscalls(pid: number, load: () => Promise<void>): Promise<SyscallCount> {
  const dir = mkdtempSync(join(tmpdir(), "io-strace-"));
  const out = join(dir, "strace.txt");
  try {
    const strace = spawn("strace", ["-f", "-c", "-p", String(pid), "-o", out], { stdio: ["ignore", "ignore", "pipe"] });
    const exited = new Promise<number | null>((resolve) => strace.on("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      let err = "";
      strace.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        if (err.includes("attached")) resolve();
      });
      void exited.then(() => reject(new Error(`strace failed: ${err}`)));
    });
    await load();
    strace.kill("SIGINT");
    await exited;
    const table = readFileSync(out, "utf8");
    const total = /^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s.*total$/m.exec(table);
    if (total === null) throw new Error(`no total in strace output:\n${table}`);
    return { total: Number(total[1]), table };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Calls of one system call in strace's table (columns: % time, seconds, usecs/call, calls, [errors,] syscall); 0 when absent. */
export function callsOf(table: string, syscall: string): number {
  const row = new RegExp(`^\\s*[\\d.]+\\s+[\\d.]+\\s+\\d+\\s+(\\d+)\\s+(?:\\d+\\s+)?${syscall}$`, "m").exec(table);
  return row === null ? 0 : Number(row[1]);
}
