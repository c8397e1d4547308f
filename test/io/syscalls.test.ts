/**
 * System calls per request under `strace -f -c` (all threads of the
 * serving process), the number this back end exists for. Floors: 4 per
 * connection-close request (accept4, recv, send, close), 2 per keep-alive
 * request (recv, send); the test fails above floor + 10%, which leaves room
 * for the per-batch epoll_wait, the accept4 that ends a batch with EAGAIN,
 * the runtime's own yields and its GC threads.
 */
import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FFI_RUNTIMES, hasStrace, startServer } from "./harness.ts";

const GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
const GET_CLOSE = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
const RESPONSE_END = "\r\n\r\nhello";
const CONCURRENCY = 32;

/** `count` requests, each on its own connection, `CONCURRENCY` at a time. */
async function closeLoad(port: number, count: number): Promise<void> {
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

/** `CONCURRENCY` connections, each sending `perConnection` requests one after the other. */
async function keepAliveLoad(port: number, perConnection: number): Promise<void> {
  const lane = () =>
    new Promise<void>((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => s.write(GET));
      let got = "";
      let answered = 0;
      s.on("error", reject);
      s.on("data", (d: Buffer) => {
        got += d.toString("latin1");
        while (got.includes(RESPONSE_END)) {
          got = got.slice(got.indexOf(RESPONSE_END) + RESPONSE_END.length);
          answered++;
          if (answered === perConnection) {
            s.destroy();
            return resolve();
          }
          s.write(GET);
        }
      });
    });
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

/** Runs `load` with strace attached to `pid`; returns the total system calls it counted. */
async function countSyscalls(pid: number, load: () => Promise<void>): Promise<{ total: number; table: string }> {
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

const strace = hasStrace();
if (!strace) console.warn("SKIPPED test/io/syscalls.test.ts: strace is not installed (apt-get install strace)");

describe.skipIf(!strace)("system calls per request, --io syscall", () => {
  for (const runtime of FFI_RUNTIMES) {
    test(
      `${runtime}: connection-close ≤ 4.4, keep-alive ≤ 2.2`,
      async () => {
        const server = await startServer(runtime);
        try {
          await closeLoad(server.port, 500); // warm-up: JIT and the response cache
          const close = 3000;
          const c = await countSyscalls(server.pid, () => closeLoad(server.port, close));
          const keep = 100;
          const k = await countSyscalls(server.pid, () => keepAliveLoad(server.port, keep));
          const perClose = c.total / close;
          const perKeep = k.total / (keep * CONCURRENCY);
          console.log(`${runtime}: ${perClose.toFixed(3)} syscalls per connection-close request, ${perKeep.toFixed(3)} per keep-alive request`);
          if (perClose > 4.4) console.log(c.table);
          if (perKeep > 2.2) console.log(k.table);
          expect(perClose).toBeLessThanOrEqual(4.4);
          expect(perKeep).toBeLessThanOrEqual(2.2);
        } finally {
          await server.stop();
        }
      },
      60_000,
    );
  }
});
