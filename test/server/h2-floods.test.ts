/**
 * Every flood client of test/http2/floods.ts against the REAL server (the bundle under a
 * runtime, `startServer`), each ending as FLOODS says: the right GOAWAY code, or the connection
 * alive with the right per-stream answers. While each runs, and after it, other clients are
 * served (curl over h2c prior knowledge and curl over HTTP/1.1, in a bounded loop until the
 * flood's client exits), and the serving process's resident memory (VmRSS; with --workers 1 the
 * child is the worker) grows by less than RSS_BOUND across it. One line per flood is printed
 * with the figures (code, seconds, RSS before → after) for the closing note.
 *
 * The subset, one per kind of I/O loop (the floods are slow clients; the protocol cases run on
 * every runtime × back end in h2-suite.ts):
 *   bun           Bun's own sockets (Bun.listen)
 *   bun-syscall   our epoll loop under Bun's FFI
 *   deno-syscall  the same loop under Deno's FFI (the other FFI and the other GC)
 *   node          node:net
 *   node-uring    io_uring under Node's binding (the completion-based loop; koffi not needed)
 * The session (src/http2/) is the same code in all of them: what differs, and is tested here,
 * is how each back end delivers backpressure (the non-reading floods), timeouts (zero window)
 * and half-close. deno (socket) and bun-uring add nothing these five do not cover.
 *
 * Also here: a healthy client against --reset-rate 0.5 (the app's resets are not the client's
 * and must not end in ENHANCE_YOUR_CALM).
 *
 * Needs dist/hello-server.js (`npm run build`) and /usr/bin/python3 with python3-hpack.
 * TEST_RUNTIMES narrows the subset further.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { FLOODS, floodProblems, HAS_CLIENT_DEPS, runFlood, type FloodName, type FloodResult } from "../http2/floods.ts";
import { assertBundle, rssKiB, selectedRuntimes, startServer, stopAll, type RunningServer } from "../helpers/server.ts";
import { run } from "./h2-suite.ts";

const SUBSET = ["bun", "bun-syscall", "deno-syscall", "node", "node-uring"];
/** RSS growth allowed across one flood: every budget and buffer the server keeps is per connection and bounded far below this. */
const RSS_BOUND_KIB = 64 * 1024;
/** Other-client rounds while one flood runs: a bound, the loop ends when the flood's client does. */
const MAX_ROUNDS = 40;

/**
 * Flags per flood. --request-control answers the zero-window client's `?size=1048576`; the stall
 * is cut after --idle-timeout, 1 s here to keep the file short (the default is 60 s).
 */
const FLAGS: Partial<Record<FloodName, readonly string[]>> = {
  zero_window: ["--idle-timeout", "1"],
};
const BASE_FLAGS = ["--request-control"];

assertBundle();
afterAll(stopAll);

/** What the other clients got while the flood ran: counts of answers that were and were not `hello`. */
interface Bystanders {
  served: number;
  failed: string[];
}

async function bystander(s: RunningServer, into: Bystanders): Promise<void> {
  const url = `http://${s.host}:${s.port}/`;
  for (const mode of ["--http2-prior-knowledge", "--http1.1"]) {
    const r = await run("curl", ["-sS", "--max-time", "5", mode, url], 8000);
    if (r.stdout === "hello") into.served++;
    else into.failed.push(`${mode}: ${r.stdout}${r.stderr}`.trim());
  }
}

async function flood(name: FloodName, s: RunningServer): Promise<{ result: FloodResult; during: Bystanders; after: Bystanders; before: number; afterRss: number }> {
  const before = rssKiB(s.pid);
  let done = false;
  const running = runFlood(name, s.host, s.port).finally(() => (done = true));
  const during: Bystanders = { served: 0, failed: [] };
  for (let i = 0; i < MAX_ROUNDS && !done; i++) await bystander(s, during);
  const result = await running;
  const after: Bystanders = { served: 0, failed: [] };
  await bystander(s, after);
  return { result, during, after, before, afterRss: rssKiB(s.pid) };
}

const mib = (kib: number): string => (kib / 1024).toFixed(1);

/** A node:http2 client: `n` GETs on one session, 50 at a time; prints what became of them. */
const RESET_CLIENT = `
const http2 = require("node:http2");
const [url, total] = [process.argv[1], Number(process.argv[2])];
const session = http2.connect(url);
const out = { ok: 0, reset: 0, other: 0, goaway: null };
session.on("goaway", (code) => (out.goaway = code));
session.on("error", () => {});
let sent = 0, ended = 0;
function one() {
  if (sent >= total) return;
  sent++;
  const req = session.request({ ":path": "/" });
  req.on("response", (h) => { if (h[":status"] === 200) out.ok++; else out.other++; });
  req.on("error", (e) => { if (e.code === "ERR_HTTP2_STREAM_ERROR" && /INTERNAL_ERROR/.test(e.message)) out.reset++; else out.other++; });
  req.resume();
  req.on("close", () => { if (++ended === total) { console.log(JSON.stringify(out)); session.close(); } else one(); });
}
for (let i = 0; i < 50; i++) one();
`;

const runtimes = selectedRuntimes().filter((r) => SUBSET.includes(r.label));

for (const runtime of runtimes) {
  describe.skipIf(!HAS_CLIENT_DEPS)(`${runtime.label}: HTTP/2 floods against the real server`, () => {
    for (const name of Object.keys(FLOODS) as FloodName[]) {
      test(`${name}: ${FLOODS[name].title}`, async () => {
        const s = await startServer(runtime, [...BASE_FLAGS, ...(FLAGS[name] ?? [])]);
        try {
          const f = await flood(name, s);
          const r = f.result;
          const outcome = r.goaway_code ?? `alive, statuses ${JSON.stringify(r.statuses)}, RST ${JSON.stringify(r.rst_codes)}`;
          console.log(
            `${runtime.label} ${name}: ${outcome} in ${r.seconds} s (${r.frames_sent} frames); RSS ${mib(f.before)} → ${mib(f.afterRss)} MiB (+${mib(f.afterRss - f.before)}); others served ${f.during.served} during, ${f.after.served} after`,
          );
          expect(floodProblems(name, r)).toEqual([]);
          expect(f.during.failed).toEqual([]);
          expect(f.after.failed).toEqual([]);
          expect(f.after.served).toBe(2);
          expect(f.afterRss - f.before).toBeLessThan(RSS_BOUND_KIB);
        } finally {
          await s.stop();
        }
      }, 30_000);
    }

    test("a healthy client against --reset-rate 0.5: its streams reset, the connection never told to calm down", async () => {
      const s = await startServer(runtime, ["--reset-rate", "0.5", "--seed", "7"]);
      try {
        // 3000 requests ≈ 1500 resets in about a second: past the reset budget's burst (1000) were they counted.
        const total = 3000;
        const r = await run("node", ["-e", RESET_CLIENT, `http://${s.host}:${s.port}`, String(total)], 20_000);
        const out = JSON.parse(r.stdout.trim() || "{}") as { ok: number; reset: number; other: number; goaway: number | null };
        console.log(`${runtime.label} --reset-rate 0.5: ${JSON.stringify(out)}`);
        expect(out.goaway).toBeNull();
        expect(out.other).toBe(0);
        expect(out.ok + out.reset).toBe(total);
        expect(out.reset).toBeGreaterThan(1000);
      } finally {
        await s.stop();
      }
    }, 30_000);
  });
}
