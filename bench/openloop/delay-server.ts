/**
 * Reference server for proving the open-loop generator: answers every
 * request exactly D ms after reading it, 200 with a fixed body and
 * Content-Length, keep-alive unless the request says `Connection: close`.
 * `?delay=MS` (or `delay=10ms`) on a request overrides D for it, as
 * hello-server's `--request-control` delay= does. node:net only, so it runs on Bun,
 * Deno and Node; a child process, so the generator's loop cannot slow it.
 *
 * "Exactly": a plain setTimeout(D) fires up to a millisecond late (timers
 * have 1 ms granularity), which alone would fail the generator's proof
 * (p50 within D + 0.2 ms). So answers wait in a queue ordered by due time;
 * a timer wakes the server SPIN_MS early, then it polls with setImmediate
 * (I/O still runs between polls, so requests keep being read on time) and
 * writes each answer within a few µs of its due time. It burns its CPU
 * while answers are near due: pin it to its own core.
 *
 * Usage: bun bench/openloop/delay-server.ts [--port 0] [--delay 0] [--body hello]
 * Prints `listening PORT` on stdout once it accepts connections.
 */
import net from "node:net";
import { parseArgs } from "node:util";

const CRLFCRLF = Buffer.from("\r\n\r\n");
/** Wake this long before an answer is due, then poll (timers may fire ~1 ms late). */
const SPIN_MS = 2;
/** The longest delay= honoured, ms (go-httpbin caps its delays too). */
export const MAX_DELAY_MS = 10_000;

export function startDelayServer(o: { port: number; delayMs: number; body: string; host?: string }): Promise<net.Server> {
  const body = Buffer.from(o.body);
  const head = (close: boolean) => Buffer.from(`HTTP/1.1 200 OK\r\nServer: delay\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${close ? "Connection: close\r\n" : ""}\r\n`);
  const answers = { keep: Buffer.concat([head(false), body]), close: Buffer.concat([head(true), body]) };
  // Due times only grow when every answer has the same delay; with delay= per request, kept sorted on insert.
  const queue: Array<{ due: number; send: () => void }> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  const tick = () => {
    timer = undefined;
    polling = false;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now) queue.shift()!.send();
    arm(now);
  };
  const arm = (now: number) => {
    if (queue.length === 0 || polling) return;
    const wait = queue[0]!.due - now;
    if (wait > SPIN_MS) {
      if (timer === undefined) timer = setTimeout(tick, wait - SPIN_MS);
    } else {
      if (timer !== undefined) clearTimeout(timer), (timer = undefined);
      polling = true;
      setImmediate(tick);
    }
  };
  const later = (delay: number, send: () => void) => {
    const due = performance.now() + delay;
    let at = queue.length;
    while (at > 0 && queue[at - 1]!.due > due) at--;
    queue.splice(at, 0, { due, send });
    if (at === 0 && timer !== undefined) clearTimeout(timer), (timer = undefined);
    arm(performance.now());
  };
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (let end = buf.indexOf(CRLFCRLF); end >= 0; end = buf.indexOf(CRLFCRLF)) {
        const text = buf.toString("latin1", 0, end);
        buf = buf.subarray(end + 4);
        const close = /\r\nconnection:\s*close/i.test(text);
        const m = /^GET \S*[?&]delay=(\d+(?:\.\d+)?)(?:ms)?(?:[&\s])/.exec(text);
        const delay = Math.min(MAX_DELAY_MS, m ? Number(m[1]) : o.delayMs);
        const answer = () => {
          if (socket.destroyed) return;
          if (close) socket.end(answers.close);
          else socket.write(answers.keep);
        };
        if (delay > 0) later(delay, answer);
        else answer();
      }
    });
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host ?? "127.0.0.1", () => resolve(server));
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: "string" }, delay: { type: "string" }, body: { type: "string" } } });
  const server = await startDelayServer({ port: Number(values.port ?? 0), delayMs: Number(values.delay ?? 0), body: values.body ?? "hello" });
  process.stdout.write(`listening ${(server.address() as net.AddressInfo).port}\n`);
  // At once: server.close() would wait for every kept-alive connection to end.
  process.on("SIGTERM", () => process.exit(0));
}
