/**
 * `--io uring` (src/io/uring/): the ring itself (setup flags, opcode probe,
 * index wrap-around), system calls per request under strace, the fallback
 * to `--io syscall` where io_uring is refused, and graceful shutdown with
 * answers in flight. The behavioural and conformance suites run on it too
 * (test/server, runtimes bun-uring, deno-uring and node-uring).
 */
import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { loadUringSys } from "../../src/io/ffi/uring.ts";
import { Ring, UringRefused } from "../../src/io/uring/ring.ts";
import * as U from "../../src/io/uring/constants.ts";
import { join } from "node:path";
import { exchange, FFI_RUNTIMES, hasStrace, ROOT, startServer } from "./harness.ts";
import { fetchOnce, startServer as startBundled } from "../spawner/harness.ts";
import { callsOf, closeLoad, CONCURRENCY, countSyscalls, GET, GET_CLOSE, keepAliveLoad, RESPONSE_END } from "./strace.ts";
import { halfCloseLoad } from "./half-close-load.ts";

/** Bun, Deno, and Node where koffi is installed (harness.ts says so when it is not). */
const RUNTIMES = FFI_RUNTIMES;
const URING = ["--io", "uring"];
const PIPELINE = 16;

/** Whether this kernel lets this process set up a ring (false in a container whose seccomp profile refuses it). */
async function uringWorksHere(): Promise<string | null> {
  try {
    new Ring(await loadUringSys("bun"), 8, 16).close();
    return null;
  } catch (error) {
    if (error instanceof UringRefused) return error.message;
    throw error;
  }
}

const refused = await uringWorksHere();
if (refused !== null) console.warn(`SKIPPED the io_uring tests that need a ring (test/io/uring.test.ts): ${refused}`);

describe.skipIf(refused !== null)("the ring", () => {
  test("this kernel takes SINGLE_ISSUER|DEFER_TASKRUN and has every opcode the loop uses", async () => {
    const ring = new Ring(await loadUringSys("bun"), 8, 16);
    try {
      // The first flag set; a kernel before 6.1 would fall to a later one (ring.ts FLAG_SETS).
      expect(ring.flags & U.Setup.SINGLE_ISSUER).toBe(U.Setup.SINGLE_ISSUER);
      expect(ring.flags & U.Setup.DEFER_TASKRUN).toBe(U.Setup.DEFER_TASKRUN);
      expect(ring.missingOps()).toEqual([]);
    } finally {
      ring.close();
    }
  });

  test("SQ and CQ indexes wrap: 5 × the ring size of NOPs, each completed once with its user_data", async () => {
    const ring = new Ring(await loadUringSys("bun"), 8, 16);
    try {
      const seen: number[] = [];
      const total = ring.sqEntries * 5;
      let sent = 0;
      while (seen.length < total) {
        for (let i = 0; i < 3 && sent < total; i++, sent++) {
          const w = ring.sqe();
          ring.sqes[w] = 0; // IORING_OP_NOP
          ring.sqes[w + U.Sqe.USER_DATA_LO] = sent;
          ring.sqes[w + U.Sqe.USER_DATA_HI] = 0xabc;
        }
        expect(ring.enter(1, 1000)).toBeGreaterThanOrEqual(0);
        let head = ring.cqHeadValue();
        const tail = ring.cqReady();
        for (; head !== tail; head = (head + 1) >>> 0) {
          const w = ring.cqes + ((head & ring.cqMask) << 2);
          expect(ring.cqWords[w + 1]).toBe(0xabc);
          expect(ring.cqInts[w + 2]).toBe(0);
          seen.push(ring.cqWords[w]!);
        }
        ring.cqRelease(head);
      }
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    } finally {
      ring.close();
    }
  });

  test("a full SQ is submitted before an SQE is reused: 12 NOPs prepared on an 8-entry ring all complete", async () => {
    const ring = new Ring(await loadUringSys("bun"), 8, 16);
    try {
      for (let i = 0; i < 12; i++) {
        const w = ring.sqe();
        ring.sqes[w + U.Sqe.USER_DATA_LO] = i;
      }
      expect(ring.queued).toBe(4); // the first 8 went in when the ninth needed their room
      const seen: number[] = [];
      while (seen.length < 12) {
        expect(ring.enter(1, 1000)).toBeGreaterThanOrEqual(0);
        let head = ring.cqHeadValue();
        for (const tail = ring.cqReady(); head !== tail; head = (head + 1) >>> 0) {
          seen.push(ring.cqWords[ring.cqes + ((head & ring.cqMask) << 2)]!);
        }
        ring.cqRelease(head);
      }
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    } finally {
      ring.close();
    }
  });
});

const strace = hasStrace();
if (!strace) console.warn("SKIPPED the strace tests of test/io/uring.test.ts: strace is not installed (apt-get install strace)");

/**
 * Issue 12's targets: ≤ 1.5 system calls per connection-close request, ≤ 0.5 per keep-alive
 * request, ≤ 0.05 per pipelined (×16) request, counted over every thread of the server. One
 * io_uring_enter serves every connection that completed in a turn; with 32 connections the
 * counts measured here are far below the bounds (README, "Why it is fast").
 */
describe.skipIf(!strace || refused !== null)("system calls per request, --io uring", () => {
  for (const runtime of RUNTIMES) {
    test(
      `${runtime}: connection-close ≤ 1.5, keep-alive ≤ 0.5, pipelined ×16 ≤ 0.05`,
      async () => {
        const server = await startServer(runtime, URING);
        try {
          expect(server.stderr()).toContain("io uring");
          expect(server.stderr()).not.toContain("unavailable");
          await closeLoad(server.port, 500); // warm-up: JIT and the response cache
          const close = 3000;
          const c = await countSyscalls(server.pid, () => closeLoad(server.port, close));
          const keep = 100;
          const k = await countSyscalls(server.pid, () => keepAliveLoad(server.port, keep));
          const rounds = 40;
          const p = await countSyscalls(server.pid, () => keepAliveLoad(server.port, rounds, PIPELINE));
          const perClose = c.total / close;
          const perKeep = k.total / (keep * CONCURRENCY);
          const perPipelined = p.total / (rounds * PIPELINE * CONCURRENCY);
          console.log(
            `${runtime} --io uring: ${perClose.toFixed(3)} syscalls per connection-close request, ` +
              `${perKeep.toFixed(3)} per keep-alive request, ${perPipelined.toFixed(4)} per pipelined request`,
          );
          if (perClose > 1.5) console.log(c.table);
          if (perKeep > 0.5) console.log(k.table);
          if (perPipelined > 0.05) console.log(p.table);
          expect(perClose).toBeLessThanOrEqual(1.5);
          expect(perKeep).toBeLessThanOrEqual(0.5);
          expect(perPipelined).toBeLessThanOrEqual(0.05);
          // The loop's own calls are io_uring_enter, never accept4 (the runtime's own threads make the rest).
          for (const { total, table } of [c, k]) {
            expect(callsOf(table, "io_uring_enter")).toBeGreaterThanOrEqual(total / 2);
            expect(table).not.toMatch(/\baccept4\b/);
          }
        } finally {
          await server.stop();
        }
      },
      60_000,
    );
  }
});

describe("falling back to --io syscall", () => {
  for (const runtime of RUNTIMES) {
    test(`${runtime}: io_uring refused (EPERM, as under Docker's seccomp profile): one line saying why, then it serves`, async () => {
      const server = await startServer(runtime, URING, undefined, ["env", "HELLO_URING_FAKE_ERRNO=1"]);
      try {
        const lines = server.stderr().split("\n").filter((l) => l.includes("--io uring unavailable"));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain("EPERM");
        expect(lines[0]).toContain("using --io syscall");
        // The listening line names the back end that serves, not the one asked for.
        expect(server.stderr()).toMatch(/^hello-server listening on .*, io syscall, pid \d+\)$/m);
        const reply = await exchange(server.port, GET_CLOSE);
        expect(new TextDecoder().decode(reply.received)).toEndWith(RESPONSE_END);
        expect(reply.closed).toBe(true);
      } finally {
        expect(await server.stop()).toBe(0);
      }
    });
  }
});

describe("falling back to --io syscall, --workers 2", () => {
  for (const runtime of RUNTIMES) {
    test(`${runtime}: io_uring refused in the workers: the supervisor's listening line says io syscall, and the workers serve`, async () => {
      // The bundle runs from a temp dir: Node finds koffi through NODE_PATH.
      const env = { HELLO_URING_FAKE_ERRNO: "1", NODE_PATH: join(ROOT, "node_modules") };
      const server = await startBundled(runtime, ["--host", "127.0.0.1", "--port", "0", "--workers", "2", ...URING], env);
      try {
        const [line] = await server.waitFor(/^hello-server listening on http:\/\/127\.0\.0\.1:\d+ .*$/, 15_000);
        expect(line).toMatch(/, io syscall, pid \d+, 2 workers, SO_REUSEPORT\)$/);
        const port = Number(/:(\d+) /.exec(line!)![1]);
        expect(await fetchOnce(port)).toEndWith("\r\n\r\nhello");
      } finally {
        await server.close();
      }
    }, 30_000);
  }
});

describe.skipIf(refused !== null)("graceful shutdown, --io uring", () => {
  for (const runtime of RUNTIMES) {
    test(`${runtime}: SIGTERM under keep-alive load: no answer cut short, every connection ends, exit 0`, async () => {
      const server = await startServer(runtime, URING);
      let answered = 0;
      let cut = 0;
      let signalled: Promise<number | string> | undefined;
      const lane = () =>
        new Promise<void>((resolve) => {
          const s = connect(server.port, "127.0.0.1", () => s.write(GET));
          let got = "";
          s.on("data", (d: Buffer) => {
            got += d.toString("latin1");
            let at: number;
            while ((at = got.indexOf(RESPONSE_END)) >= 0) {
              got = got.slice(at + RESPONSE_END.length);
              answered++;
              // Stop the server in the middle of the load, once it is well under way.
              if (answered === 500) signalled = server.stop(8000);
              s.write(GET);
            }
          });
          // A reset is allowed (a request that crossed the close of its idle connection); a partial answer is not.
          s.on("error", () => undefined);
          s.on("close", () => {
            if (got !== "") cut++;
            resolve();
          });
        });
      await Promise.all(Array.from({ length: 8 }, lane));
      expect(answered).toBeGreaterThanOrEqual(500);
      expect(cut).toBe(0);
      expect(signalled).toBeDefined();
      expect(await signalled).toBe(0);
    });
  }
});

/**
 * The ring's SHUTDOWN runs in an io-wq worker that looks its fd up only when it runs; a close
 * issued meanwhile handed the number to the next connection, which the late SHUTDOWN then
 * half-closed (loop.ts, shutdownFd). 61 of 12,000 keep-alive connections were cut that way
 * before the fix, 0 after; CI saw it as a conformance case and a metrics scrape cut short.
 */
describe.skipIf(refused !== null)("half-closes reach only their own connection, --io uring", () => {
  for (const runtime of RUNTIMES) {
    test(`${runtime}: refused clients closing at once beside keep-alive clients: no keep-alive connection cut`, async () => {
      const server = await startServer(runtime, URING);
      try {
        const { served, cut } = await halfCloseLoad(server.port, 300);
        expect(cut).toEqual([]);
        expect(served).toBe(8 * 300);
      } finally {
        await server.stop();
      }
    }, 60_000);
  }
});
