/**
 * Runs the real server (src/main.ts bundled once, the way `npm run build`
 * does) under Bun, Deno and Node as child processes, and gives tests what
 * they wait on: stderr lines, exit, listening sockets. Every wait is on an
 * event with a deadline; nothing sleeps.
 */
import { build } from "esbuild";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const BIN = join(ROOT, "node_modules/.bin");

export const RUNTIMES = ["bun", "deno", "node"] as const;
export type Runtime = (typeof RUNTIMES)[number];

let bundled: Promise<string> | undefined;

/** src/main.ts as one ESM file in a temp dir (not dist/, which other builds rewrite). */
export function bundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "hello-spawner-"));
    const out = join(dir, "hello-server.js");
    await build({
      entryPoints: [join(ROOT, "src/main.ts")],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      external: ["bun:ffi"],
      outfile: out,
      logLevel: "warning",
    });
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    return out;
  })();
  return bundled;
}

export function commandFor(runtime: Runtime, script: string): string[] {
  if (runtime === "bun") return [join(BIN, "bun"), script];
  if (runtime === "deno") return [join(BIN, "deno"), "run", "-A", "--unstable-net", script];
  return ["node", script];
}

export interface Exit {
  code: number | null;
  signal: string | null;
}

export class Server {
  readonly lines: string[] = [];
  /** Date.now() when each of `lines` arrived. */
  readonly lineTimes: number[] = [];
  readonly exited: Promise<Exit>;
  #waiters: { re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void }[] = [];
  #exit: Exit | undefined;

  constructor(readonly child: ChildProcess) {
    let pending = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) !== -1) {
        this.#line(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  #line(line: string): void {
    this.lines.push(line);
    this.lineTimes.push(Date.now());
    this.#waiters = this.#waiters.filter((w) => {
      const m = this.#match(w.re, w.from);
      if (m !== undefined) w.resolve(m);
      return m === undefined;
    });
  }

  #match(re: RegExp, from: number): RegExpMatchArray | undefined {
    for (let i = from; i < this.lines.length; i++) {
      const m = this.lines[i]!.match(re);
      if (m !== null) return m;
    }
    return undefined;
  }

  /** The first stderr line at index ≥ `from` matching `re`; rejects after `ms` or when the process exits first. */
  waitFor(re: RegExp, ms = 10_000, from = 0): Promise<RegExpMatchArray> {
    const now = this.#match(re, from);
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line ${re} within ${ms} ms; stderr:\n${this.lines.join("\n")}`)), ms);
      const waiter = {
        re,
        from,
        resolve: (m: RegExpMatchArray) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.#waiters.push(waiter);
      void this.exited.then((exit) => {
        if (!this.#waiters.includes(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`exited (${JSON.stringify(exit)}) before a line ${re}; stderr:\n${this.lines.join("\n")}`));
      });
    });
  }

  /** Resolves with the exit, or rejects after `ms`. */
  waitExit(ms = 10_000): Promise<Exit> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms; stderr:\n${this.lines.join("\n")}`)), ms);
      void this.exited.then((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
  }

  /** Pids from `hello-server: worker <pid> started` lines, in order. */
  startedPids(): number[] {
    return this.lines.flatMap((l) => {
      const m = /^hello-server: worker (\d+) started$/.exec(l);
      return m === null ? [] : [Number(m[1])];
    });
  }

  /** Kills the whole process group (supervisor and workers) if still running. */
  async close(): Promise<void> {
    if (this.#exit === undefined) {
      try {
        process.kill(-this.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
      await this.exited;
    }
  }
}

/** Starts `hello-server ARGS` on `runtime` in its own process group (so close() reaches the workers too). */
export async function startServer(runtime: Runtime, args: string[], env: Record<string, string> = {}): Promise<Server> {
  const [file, ...rest] = commandFor(runtime, await bundle());
  const child = spawn(file!, [...rest, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NO_COLOR: "1", ...env },
    detached: true,
  });
  return new Server(child);
}

/** Starts a server on a free port and waits for its listening line; returns it and the port. */
export async function listening(runtime: Runtime, args: string[]): Promise<{ server: Server; port: number }> {
  const server = await startServer(runtime, ["--host", "127.0.0.1", "--port", "0", ...args]);
  try {
    const m = await server.waitFor(/^hello-server listening on http:\/\/127\.0\.0\.1:(\d+) /, 15_000);
    return { server, port: Number(m[1]) };
  } catch (e) {
    await server.close();
    throw e;
  }
}

/** Listening TCP sockets on `port` and the pids holding each, as `ss` sees them (independent of the server's own check). */
export function listeners(port: number): number[][] {
  const r = spawnSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("LISTEN"))
    .map((l) => [...l.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const REQUEST = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

/** One request on a new connection (Connection: close); resolves the whole response text, rejects on a refused or reset connection. */
export function fetchOnce(port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    s.setTimeout(timeoutMs, () => s.destroy(new Error("timeout")));
    s.on("connect", () => s.write("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    s.on("data", (c: Buffer) => chunks.push(c));
    // Where it failed, for the test's message: refused, reset before any answer, or cut mid-answer.
    const started = performance.now();
    s.on("error", (e) => {
      const got = Buffer.concat(chunks).toString("latin1");
      reject(new Error(`${e.message} (${s.bytesWritten} bytes sent, ${got.length} received: ${JSON.stringify(got.slice(0, 40))}, ${Math.round(performance.now() - started)} ms after connect())`));
    });
    s.on("close", (hadError) => {
      if (!hadError) resolve(Buffer.concat(chunks).toString("latin1"));
    });
  });
}

/** What {@link keepAliveLoad} counted: answers, and failures by whether the request was a connection's first. */
export interface KeepAliveTally {
  ok: () => number;
  /** A request that was its connection's first got no answer (refused, reset or closed). */
  lostNew: string[];
  /** A request sent on a connection that had already answered one got no answer: what a keep-alive client cannot tell from a lost request. */
  failedReused: string[];
  /** Connections the server ended with `Connection: close` after an answer (the client then opens another, as every HTTP client does). */
  closedByServer: () => number;
  stop: () => Promise<void>;
}

/**
 * `loops` keep-alive clients, each sending GET after GET on one connection, the next as soon as
 * the last is answered; when an answer says `Connection: close` (or the server ends the
 * connection between requests, after its answer) the client opens a new connection, as every
 * HTTP client does. A request that gets no answer is counted by whether its connection was new.
 */
export function keepAliveLoad(port: number, loops: number, timeoutMs = 5000): KeepAliveTally {
  let ok = 0;
  let closedByServer = 0;
  let running = true;
  const lostNew: string[] = [];
  const failedReused: string[] = [];
  const REQUEST = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  /** One connection's life: resolves when it ends, after counting what happened on it. */
  const oneConnection = (): Promise<void> =>
    new Promise((resolve) => {
      const s: Socket = connect({ host: "127.0.0.1", port });
      let answered = 0;
      let buf = "";
      let done = false;
      const finish = (failure: string | null): void => {
        if (done) return;
        done = true;
        if (failure !== null) (answered === 0 ? lostNew : failedReused).push(`${failure} (after ${answered} answers on the connection)`);
        s.destroy();
        resolve();
      };
      s.setNoDelay(true);
      s.setTimeout(timeoutMs, () => finish("timeout"));
      s.on("connect", () => s.write(REQUEST));
      s.on("error", (e) => finish(e.message));
      s.on("close", () => finish(buf === "" ? "closed before an answer" : `closed mid-answer: ${JSON.stringify(buf.slice(0, 80))}`));
      s.on("data", (c: Buffer) => {
        buf += c.toString("latin1");
        for (;;) {
          const headEnd = buf.indexOf("\r\n\r\n");
          if (headEnd === -1) return;
          const head = buf.slice(0, headEnd);
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
          if (buf.length < headEnd + 4 + length) return;
          const body = buf.slice(headEnd + 4, headEnd + 4 + length);
          buf = buf.slice(headEnd + 4 + length);
          if (!head.startsWith("HTTP/1.1 200") || body !== "hello") return finish(`bad response: ${JSON.stringify(head.slice(0, 80))}`);
          ok++;
          answered++;
          if (/\r\nconnection: *close/i.test(head)) {
            closedByServer++;
            return finish(null);
          }
          if (!running) return finish(null);
          s.write(REQUEST);
        }
      });
    });
  const runners = Array.from({ length: loops }, async () => {
    while (running) await oneConnection();
  });
  return {
    ok: () => ok,
    lostNew,
    failedReused,
    closedByServer: () => closedByServer,
    stop: async () => {
      running = false;
      await Promise.all(runners);
    },
  };
}

/** `loops` clients each doing back-to-back fetchOnce until stop(); counts successes and failures. */
export function load(port: number, loops: number): { ok: () => number; errors: string[]; stop: () => Promise<void> } {
  let ok = 0;
  let running = true;
  const errors: string[] = [];
  const runners = Array.from({ length: loops }, async () => {
    while (running) {
      try {
        const text = await fetchOnce(port);
        if (text.startsWith("HTTP/1.1 200") && text.endsWith("hello")) ok++;
        else errors.push(`bad response: ${JSON.stringify(text.slice(0, 80))}`);
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
  });
  return {
    ok: () => ok,
    errors,
    stop: async () => {
      running = false;
      await Promise.all(runners);
    },
  };
}
