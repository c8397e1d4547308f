/**
 * Memory per idle connection on one worker, the method shared by bench/h2/held.ts and
 * bench/ws/held.ts: a fresh server pinned to CPU 0, N connections opened in batches, each
 * counted once the server's first answer reached it (from then on the server holds the
 * connection's whole state), then the server's VmRSS minus before, over N. The HTTP/1.1
 * keep-alive baseline (one request answered, then silent) is measured the same way, on its own
 * fresh server, so every protocol is compared with it in the same run.
 *
 * Usage: const fig = await measureHeld(server, port, n, http1Idle);
 *        console.log(heldRow(server, "HTTP/1.1 idle", fig));
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { currentNofile, FD_HEADROOM } from "../servers/fdlimit.ts";

/** The server under test: how it is run, and the flags its protocol needs. */
export interface HeldServer {
  runtime: string;
  io: string;
  bundle: string;
  /** Flags after the common ones (e.g. `--ws-echo-path /ws`). */
  extra: readonly string[];
}

/** One measurement: what the server grew by with every connection held. */
export interface HeldFigure {
  connections: number;
  growthKiB: number;
  /** Bytes of RSS per held connection. */
  perConnection: number;
}

/** Opens one connection and resolves with it once the server has answered it. */
export type Opener = (port: number) => Promise<Socket>;

const BIN = new URL("../../../node_modules/.bin/", import.meta.url).pathname;
const RUN: Record<string, readonly string[]> = { bun: [`${BIN}bun`], deno: [`${BIN}deno`, "run", "-A", "--unstable-net"], node: ["node"] };
/** Connections opened per batch: the accept queue is finite, and a burst of SYNs past it is retried slowly. */
const BATCH = 500;
/** A connection the server has not answered in this long is a failed run, not a slow one. */
const ANSWER_TIMEOUT_MS = 10_000;

export const HELD_TABLE_HEAD = "| runtime | io | protocol | connections | RSS growth | per connection |\n|---|---|---|---|---|---|";

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? Number.NaN : Number(m[1]);
}

/**
 * Fails before anything starts when this shell's open-file limit cannot hold N client sockets
 * (the server inherits the same limit): an EMFILE halfway through a 10,000 run wastes minutes.
 */
export function checkFdLimit(n: number): void {
  const { soft } = currentNofile();
  if (soft < n + FD_HEADROOM) throw new Error(`${n} connections need \`ulimit -n\` of at least ${n + FD_HEADROOM} (above 2N to be safe); it is ${soft}`);
}

async function startServer(server: HeldServer, port: number): Promise<ChildProcess> {
  const run = RUN[server.runtime];
  if (run === undefined) throw new Error(`--runtime is bun, deno or node, got ${server.runtime}`);
  // Idle connections must outlive the opening of all of them (10,000 take seconds).
  const argv = ["taskset", "-c", "0", ...run, server.bundle, "--workers", "1", "--host", "127.0.0.1", "--port", String(port), "--io", server.io, "--idle-timeout", "600", "--quiet", ...server.extra];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: "ignore" });
  for (let i = 0; i < 200 && child.exitCode === null; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stopServer(child);
  throw new Error(`server on ${port} did not start (${argv.join(" ")})`);
}

/** SIGTERM, then SIGKILL if the drain outlasts a few seconds: a run never leaves a server behind. */
function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const force = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(force);
      done();
    });
    child.kill("SIGTERM");
  });
}

/**
 * A connection to 127.0.0.1:port that, once connected, calls `start` and then `answered` with
 * each chunk until it returns true (done) or throws (the answer is wrong). Closed or silent
 * before that is a failure.
 */
export function openConnection(port: number, start: (s: Socket) => void, answered: (chunk: Buffer) => boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => start(s));
    const fail = (e: Error) => (s.destroy(), reject(e));
    s.setTimeout(ANSWER_TIMEOUT_MS, () => fail(new Error(`no answer in ${ANSWER_TIMEOUT_MS} ms`)));
    const onData = (chunk: Buffer) => {
      try {
        if (!answered(chunk)) return;
      } catch (e) {
        return fail(e as Error);
      }
      s.off("data", onData);
      s.setTimeout(0);
      resolve(s);
    };
    s.on("data", onData);
    s.on("error", reject);
    s.once("close", () => reject(new Error("closed before the server answered")));
  });
}

/** Sends `hello` and counts the connection held at the server's first bytes. */
export function firstAnswer(hello: Buffer): Opener {
  return (port) => openConnection(port, (s) => s.write(hello), () => true);
}

/** The baseline: one HTTP/1.1 request answered, then the connection sits idle on keep-alive. */
export const http1Idle: Opener = firstAnswer(Buffer.from("GET / HTTP/1.1\r\nHost: bench\r\n\r\n", "latin1"));

/** Starts a fresh server on `port`, holds n connections opened by `open`, and reports its RSS growth. */
export async function measureHeld(server: HeldServer, port: number, n: number, open: Opener): Promise<HeldFigure> {
  const child = await startServer(server, port);
  const keep: Socket[] = [];
  try {
    const before = rssKiB(child.pid!);
    for (let i = 0; i < n; i += BATCH) {
      // allSettled: every socket of a batch is kept (and so closed below) even when one failed.
      const batch = await Promise.allSettled(Array.from({ length: Math.min(BATCH, n - i) }, () => open(port)));
      for (const r of batch) if (r.status === "fulfilled") keep.push(r.value);
      const failed = batch.find((r) => r.status === "rejected");
      if (failed !== undefined) throw new Error(`connection ${keep.length + 1} of ${n}: ${(failed.reason as Error).message}`);
    }
    // Let the server's allocator settle after the burst, as held-connections.ts does.
    await new Promise((r) => setTimeout(r, 500));
    const growthKiB = rssKiB(child.pid!) - before;
    return { connections: n, growthKiB, perConnection: (growthKiB * 1024) / n };
  } finally {
    for (const s of keep) s.destroy();
    await stopServer(child);
  }
}

export function heldRow(server: HeldServer, label: string, fig: HeldFigure): string {
  return `| ${server.runtime} | ${server.io} | ${label} | ${fig.connections} | ${(fig.growthKiB / 1024).toFixed(1)} MiB | ${fig.perConnection.toFixed(0)} B |`;
}
