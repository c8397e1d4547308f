/**
 * Graceful shutdown of HTTP/2 connections on the real server (RFC 9113 §6.8), watched from inside
 * one connection by test/http2/clients/shutdown.py (raw frames: a node:http2 client refuses to
 * open streams once it has seen a GOAWAY, so it cannot show that streams sent during the delay are
 * still answered).
 *
 * On two back ends that differ in runtime and I/O loop (node: node:net; bun-syscall: our epoll
 * loop under Bun's FFI); the shutdown order itself is the core's and the session's, shared by all.
 *
 * Needs dist/hello-server.js (`npm run build`) and /usr/bin/python3 with python3-hpack.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { HAS_CLIENT_DEPS, PYTHON } from "../http2/floods.ts";
import { assertBundle, selectedRuntimes, startServer, stopAll, type RunningServer } from "../helpers/server.ts";

const CLIENT = join(import.meta.dir, "..", "http2", "clients", "shutdown.py");
const RUNTIMES = selectedRuntimes().filter((r) => r.label === "node" || r.label === "bun-syscall");
const MAX_STREAM_ID = 2 ** 31 - 1;
/** The in-flight stream's delay: past the 1 s shutdown delay, so it ends after the final GOAWAY. */
const SLOW_MS = 2000;

assertBundle();
afterAll(stopAll);

type Event = [number, string, ...(number | string)[]];
interface Watched {
  events: Event[];
  closed: boolean;
}

/** Runs the client; SIGTERM to the server once it says "ready"; resolves with its log. */
function watchShutdown(s: RunningServer, mode: "delay" | "nodelay"): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [CLIENT, s.host, String(s.port), mode, String(SLOW_MS)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let signalled = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.stdout!.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
      if (!signalled && stdout.startsWith("ready\n")) {
        signalled = true;
        s.proc.kill("SIGTERM");
      }
    });
    child.once("close", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.split("\n").filter(Boolean).at(-1)!) as Watched);
      } catch {
        reject(new Error(`no result from shutdown.py: ${stdout}${stderr}`));
      }
    });
  });
}

const at = (w: Watched, kind: string, ...args: (number | string)[]): number => {
  const e = w.events.find((x) => x[1] === kind && args.every((a, i) => x[i + 2] === a));
  return e === undefined ? Number.NaN : e[0];
};
const goaways = (w: Watched): Event[] => w.events.filter((e) => e[1] === "goaway");

for (const runtime of RUNTIMES) {
  describe.skipIf(!HAS_CLIENT_DEPS)(`${runtime.label}: HTTP/2 graceful shutdown`, () => {
    test("SIGTERM with --shutdown-delay 1: GOAWAY(2^31−1) at once, streams sent meanwhile answered, the final GOAWAY names the last, the slow stream finishes", async () => {
      const s = await startServer(runtime, ["--request-control", "--health-path", "/hz", "--shutdown-delay", "1"]);
      try {
        const w = await watchShutdown(s, "delay");
        console.log(`${runtime.label} delay: ${JSON.stringify(w.events)}`);
        const [first, final] = goaways(w);
        // The delay's start: the first GOAWAY of §6.8, at once, not at the delay's end.
        expect(first?.slice(2)).toEqual([MAX_STREAM_ID, "NO_ERROR"]);
        expect(first![0]).toBeLessThan(500);
        // Streams opened after it, during the delay: answered, the health path with 503.
        expect(at(w, "sent", 3)).toBeGreaterThanOrEqual(first![0]);
        expect(at(w, "status", 3, 200)).toBeLessThan(900);
        expect(at(w, "status", 5, 503)).toBeLessThan(900);
        // The delay's end: the final GOAWAY names the last stream the server took.
        expect(final?.slice(2)).toEqual([5, "NO_ERROR"]);
        expect(final![0]).toBeGreaterThanOrEqual(900);
        // The stream in flight since before SIGTERM ends after the final GOAWAY, then the connection closes.
        expect(at(w, "status", 1, 200)).toBeGreaterThan(final![0]);
        expect(at(w, "end", 1)).toBeGreaterThan(final![0]);
        expect(w.events.filter((e) => e[1] === "rst")).toEqual([]);
        expect(w.closed).toBe(true);
        expect(at(w, "close")).toBeGreaterThanOrEqual(at(w, "end", 1));
        expect((await s.exited).code).toBe(0);
      } finally {
        await s.stop();
      }
    }, 30_000);

    test("SIGTERM without delay: both GOAWAYs at once (the final names stream 3), the delayed streams in flight complete, then the connection closes", async () => {
      const s = await startServer(runtime, ["--request-control"]);
      try {
        const w = await watchShutdown(s, "nodelay");
        console.log(`${runtime.label} nodelay: ${JSON.stringify(w.events)}`);
        const [first, final] = goaways(w);
        expect(first?.slice(2)).toEqual([MAX_STREAM_ID, "NO_ERROR"]);
        // The final GOAWAY follows our PING ACK (one round trip), long before the streams end.
        expect(final?.slice(2)).toEqual([3, "NO_ERROR"]);
        expect(final![0]).toBeLessThan(500);
        for (const id of [1, 3]) {
          expect(at(w, "status", id, 200)).toBeGreaterThan(final![0]);
          expect(at(w, "end", id)).toBeGreaterThan(final![0]);
        }
        expect(w.events.filter((e) => e[1] === "rst")).toEqual([]);
        expect(w.closed).toBe(true);
        expect(at(w, "close")).toBeGreaterThanOrEqual(Math.max(at(w, "end", 1), at(w, "end", 3)));
        expect((await s.exited).code).toBe(0);
      } finally {
        await s.stop();
      }
    }, 30_000);
  });
}
