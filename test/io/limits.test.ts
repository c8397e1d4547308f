/**
 * Open-file limits. Each worker raises its soft RLIMIT_NOFILE to the hard
 * limit at start on every back end where it can call libc (src/io/rlimit.ts);
 * and when descriptors run out anyway (the hard limit is low), the syscall
 * back end backs off, says so in one line, and serves again once
 * descriptors are free.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { exchange, FFI_RUNTIMES, startServer } from "./harness.ts";

const GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
const GET_CLOSE = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
const RESPONSE_END = "\r\n\r\nhello";

/** [soft, hard] "Max open files" of a running process. */
function openFileLimits(pid: number): [string, string] {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"));
  const m = /^Max open files\s+(\S+)\s+(\S+)/.exec(line ?? "");
  if (m === null) throw new Error(`no "Max open files" in /proc/${pid}/limits`);
  return [m[1]!, m[2]!];
}

describe("the soft open-file limit is raised to the hard one at start", () => {
  for (const runtime of FFI_RUNTIMES) {
    for (const io of ["syscall", "socket"]) {
      test(`${runtime}, --io ${io}: started with 256:4096, the worker runs with 4096:4096`, async () => {
        const server = await startServer(runtime, ["--io", io], 15_000, ["prlimit", "--nofile=256:4096"]);
        try {
          expect(openFileLimits(server.pid)).toEqual(["4096", "4096"]);
          // An answer also means the stop-signal handlers are in place (they are installed right after the listening line).
          expect((await exchange(server.port, GET_CLOSE)).received.length).toBeGreaterThan(0);
        } finally {
          expect(await server.stop()).toBe(0);
        }
      });
    }
  }
});

/** One keep-alive connection that sends GET and counts complete answers. */
class Client {
  readonly socket: Socket;
  answered = 0;
  private got = "";
  private readonly waiters: Array<() => void> = [];
  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1", () => this.socket.write(GET));
    this.socket.on("data", (d: Buffer) => {
      this.got += d.toString("latin1");
      while (this.got.includes(RESPONSE_END)) {
        this.got = this.got.slice(this.got.indexOf(RESPONSE_END) + RESPONSE_END.length);
        this.answered++;
        this.waiters.splice(0).forEach((w) => w());
      }
    });
    this.socket.on("error", () => undefined);
  }
  answer(timeoutMs: number): Promise<void> {
    if (this.answered > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

const stderrLines = (text: string, needle: string) => text.split("\n").filter((l) => l.includes(needle));

describe("out of descriptors (hard limit 128, 300 connections held open)", () => {
  for (const runtime of FFI_RUNTIMES) {
    test(
      `${runtime}: one EMFILE line, not one per back-off; every connection is answered once others close`,
      async () => {
        const server = await startServer(runtime, [], 15_000, ["prlimit", "--nofile=128:128"]);
        const clients: Client[] = [];
        try {
          for (let i = 0; i < 300; i++) clients.push(new Client(server.port));
          // The server answers until it runs out of descriptors; wait until it has backed off for a while.
          await waitUntil(() => stderrLines(server.stderr(), "EMFILE").length > 0, 10_000);
          const firstAnswered = clients.filter((c) => c.answered > 0);
          expect(firstAnswered.length).toBeGreaterThan(0);
          expect(firstAnswered.length).toBeLessThan(300);
          // ≥ 10 back-offs of 100 ms later (the first one came with the line above) ...
          await new Promise((resolve) => setTimeout(resolve, 1200));
          expect(clients.filter((c) => c.answered > 0).length).toBe(firstAnswered.length);
          // ... still one line: the rest are counted, to be reported with the next line.
          expect(stderrLines(server.stderr(), "EMFILE")).toHaveLength(1);
          expect(stderrLines(server.stderr(), "EMFILE")[0]).toContain("not accepting for 100 ms");
          // Freeing descriptors lets the waiting connections in, batch by batch.
          while (clients.some((c) => c.answered === 0)) {
            const done = clients.filter((c) => c.answered > 0 && !c.socket.destroyed);
            for (const c of done) c.socket.destroy();
            await Promise.race(clients.filter((c) => c.answered === 0).map((c) => c.answer(10_000)));
          }
          expect(clients.every((c) => c.answered === 1)).toBe(true);
        } finally {
          for (const c of clients) c.socket.destroy();
          expect(await server.stop()).toBe(0);
        }
      },
      60_000,
    );
  }
});

async function waitUntil(ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
