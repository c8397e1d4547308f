/**
 * The compiled executables: ./hello-server (bun build --compile) and
 * ./hello-server-node (Node SEA) are built if missing or older than the
 * sources, then run as real processes on a free port. ./hello-server-deno is
 * tested when present (deno compile needs a denort this machine cannot
 * download; see build.ts).
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const BUN = process.execPath;
const START_TIMEOUT_MS = 10_000;

const BINARIES = {
  bun: join(ROOT, "hello-server"),
  node: join(ROOT, "hello-server-node"),
  deno: join(ROOT, "hello-server-deno"),
} as const;

function newestSourceMtime(): number {
  let newest = statSync(join(ROOT, "build.ts")).mtimeMs;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(join(ROOT, "src"));
  return newest;
}

/** Runs build.ts for `runtime` unless its binary is newer than every source file. */
function ensureBuilt(runtime: "bun" | "node"): void {
  const binary = BINARIES[runtime];
  if (existsSync(binary) && statSync(binary).mtimeMs >= newestSourceMtime()) return;
  const r = spawnSync(BUN, [join(ROOT, "build.ts"), "--runtime", runtime], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`bun build.ts --runtime ${runtime} failed:\n${r.stdout}${r.stderr}`);
}

function mib(path: string): string {
  return `${(statSync(path).size / 1024 / 1024).toFixed(1)} MiB`;
}

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});

interface Started {
  child: ChildProcess;
  port: number;
  /** Spawn to the listening line, ms. */
  startMs: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `binary` (by default with `--port 0 --host 127.0.0.1 --workers 1`)
 * and resolves once it prints its listening line.
 */
function start(binary: string, args: readonly string[] = ["--port", "0", "--host", "127.0.0.1", "--workers", "1"], env?: Record<string, string>): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"], env: env ?? process.env });
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return new Promise<Started>((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(() => reject(new Error(`${binary}: no listening line within ${START_TIMEOUT_MS} ms; stderr: ${stderr}`)), START_TIMEOUT_MS);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (match === null) return;
      clearTimeout(timer);
      resolve({ child, port: Number(match[1]), startMs: performance.now() - t0, exited });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${binary} exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  });
}

/** SIGTERM, then the exit it causes (the graceful shutdown exits 0). */
async function stop(s: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  s.child.kill("SIGTERM");
  const result = await s.exited;
  running.delete(s.child);
  return result;
}

function suite(runtime: keyof typeof BINARIES, build: boolean): void {
  const binary = BINARIES[runtime];
  describe(`compiled ${runtime} binary (${binary.slice(ROOT.length + 1)})`, () => {
    if (build) beforeAll(() => ensureBuilt(runtime as "bun" | "node"), 120_000);

    test("--help exits 0 with no runtime on PATH", () => {
      const r = spawnSync(binary, ["--help"], { encoding: "utf8", env: { PATH: "/nonexistent" }, timeout: 10_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toStartWith("hello-server ");
      expect(r.stdout).toContain("--workers N|auto");
      console.log(`${binary.slice(ROOT.length + 1)}: ${mib(binary)}`);
    });

    test("a bad flag exits 2", () => {
      const r = spawnSync(binary, ["--no-such-flag"], { encoding: "utf8", timeout: 10_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("--no-such-flag");
    });

    test("answers hello on --port 0, health check passes, SIGTERM exits 0", async () => {
      const s = await start(binary);
      const res = await fetch(`http://127.0.0.1:${s.port}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("hello");
      console.log(`${binary.slice(ROOT.length + 1)}: listening after ${s.startMs.toFixed(0)} ms`);
      const hc = spawnSync(binary, ["--healthcheck"], { env: { PORT: String(s.port), HOST: "127.0.0.1" }, timeout: 10_000 });
      expect(hc.status).toBe(0);
      expect(await stop(s)).toEqual({ code: 0, signal: null });
      // The same probe against the now closed port must fail.
      const dead = spawnSync(binary, ["--healthcheck"], { env: { PORT: String(s.port), HOST: "127.0.0.1" }, timeout: 10_000 });
      expect(dead.status).toBe(1);
    }, 30_000);

    test("serves the configured body and status from the environment", async () => {
      const s = await start(binary, [], { PORT: "0", HOST: "127.0.0.1", WORKERS: "1", BODY: "from env", STATUS: "418" });
      const res = await fetch(`http://127.0.0.1:${s.port}/`);
      expect(res.status).toBe(418);
      expect(await res.text()).toBe("from env");
      expect(await stop(s)).toEqual({ code: 0, signal: null });
    }, 30_000);
  });
}

suite("bun", true);
suite("node", true);
if (existsSync(BINARIES.deno)) suite("deno", false);
else test.skip("compiled deno binary: not built (deno compile needs denort; set DENORT_BIN, see build.ts)", () => {});
