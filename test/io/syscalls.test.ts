/**
 * System calls per request under `strace -f -c` (all threads of the
 * serving process), the number this back end exists for. Floors: 4 per
 * connection-close request (accept4, recv, send, close), 2 per keep-alive
 * request (recv, send); the test fails above floor + 10%, which leaves room
 * for the per-batch epoll_wait, the accept4 that ends a batch with EAGAIN,
 * the runtime's own yields and its GC threads.
 */
import { describe, expect, test } from "bun:test";
import { FFI_RUNTIMES, hasStrace, startServer } from "./harness.ts";
import { closeLoad, CONCURRENCY, countSyscalls, keepAliveLoad } from "./strace.ts";

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
