/**
 * The compiled executables: ./hello-server (bun build --compile) and
 * ./hello-server-node (Node SEA) are built if missing or older than the
 * sources, then run as real processes on a free port. ./hello-server-deno is
 * tested when present (deno compile needs a denort this machine cannot
 * download; see build.ts).
 *
 * Then what the image is made of: the FROM scratch root file system
 * (build/rootfs.ts) run in a chroot with only /proc mounted (root only), and
 * the cross-compiled ./hello-server-linux-arm64 (runtime from npm) under
 * qemu-user with Debian's arm64 C library, and ./hello-server-linux-x64-baseline.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assembleRootfs, readElfDeps, EM_AARCH64, EM_X86_64 } from "../build/rootfs.ts";

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
  walk(join(ROOT, "build"));
  return newest;
}

/** Runs build.ts for `runtime` (and `target`) unless its binary is newer than every source file. */
function ensureBuilt(runtime: "bun" | "node", target?: string): void {
  const binary = target === undefined ? BINARIES[runtime] : join(ROOT, `hello-server-${target}`);
  if (existsSync(binary) && statSync(binary).mtimeMs >= newestSourceMtime()) return;
  const args = [join(ROOT, "build.ts"), "--runtime", runtime, ...(target === undefined ? [] : ["--target", target])];
  const r = spawnSync(BUN, args, { cwd: ROOT, encoding: "utf8", timeout: 180_000 });
  if (r.status !== 0) throw new Error(`bun ${args.slice(1).join(" ")} failed:\n${r.stdout}${r.stderr}`);
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

const DEFAULT_ARGS = ["--port", "0", "--host", "127.0.0.1", "--workers", "1"] as const;

/**
 * Starts `binary` (by default with `--port 0 --host 127.0.0.1 --workers 1`)
 * and resolves once it prints its listening line. `launcher` is a command
 * that execs the binary (qemu-user, a chroot): the child's pid stays the server's.
 */
function start(binary: string, args: readonly string[] = DEFAULT_ARGS, env?: Record<string, string>, launcher: readonly string[] = []): Promise<Started> {
  const t0 = performance.now();
  const [cmd, ...rest] = [...launcher, binary, ...args];
  const child = spawn(cmd!, rest, { stdio: ["ignore", "ignore", "pipe"], env: env ?? process.env });
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

/** ldd's view of `binary`'s libraries: the sonames it resolved (the vDSO is no file). */
function lddSonames(binary: string): string[] {
  const r = spawnSync("ldd", [binary], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ldd ${binary}: ${r.stdout}${r.stderr}`);
  return r.stdout.split("\n").map((l) => l.trim().split(/\s+/)[0]!.replace(/^.*\//, "")).filter((n) => n !== "" && !n.startsWith("linux-vdso")).sort();
}

/** Absolute path of a host command, or undefined. */
function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
const CHROOT_TOOLS = { unshare: which("unshare"), mount: which("mount"), chroot: which("chroot") };
const canChroot = process.getuid?.() === 0 && Object.values(CHROOT_TOOLS).every((p) => p !== undefined);

/**
 * The image's root file system, outside the image: what build/rootfs.ts
 * copies for each binary, then the binary started in a chroot of it with only
 * /proc mounted, in a private mount namespace (as a container runtime does),
 * serving one request and exiting 0 on SIGTERM.
 */
describe("FROM scratch root file system (build/rootfs.ts)", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  for (const runtime of ["bun", "node"] as const) {
    test(`${runtime}: the libraries are ldd's, and the binary serves from a chroot of them`, async () => {
      ensureBuilt(runtime);
      const binary = BINARIES[runtime];
      const root = mkdtempSync(join(tmpdir(), "hello-server-rootfs-"));
      roots.push(root);
      const files = assembleRootfs(binary, join(root, "fs"), "/");
      expect(files[0]!.path).toBe("/hello-server");
      expect(files.map((f) => f.path.replace(/^.*\//, "")).slice(1).sort()).toEqual(lddSonames(binary));
      const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
      console.log(`rootfs for ${runtime}: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB = ${(bytes / files[0]!.bytes).toFixed(3)} × the executable`);
      expect(bytes / files[0]!.bytes).toBeLessThan(1.1);
      if (!canChroot) {
        console.log("rootfs chroot run skipped: needs root and unshare(1)");
        return;
      }
      const fs = join(root, "fs");
      mkdirSync(join(fs, "proc"));
      // env -i: the server starts with an empty environment, as in the image (no PATH, no HOME).
      const { unshare, mount, chroot } = CHROOT_TOOLS as { unshare: string; mount: string; chroot: string };
      const script = `${mount} -t proc proc '${fs}/proc' && exec env -i ${chroot} '${fs}' "$0" "$@"`;
      const s = await start("/hello-server", DEFAULT_ARGS, undefined, [unshare, "--mount", "--", "/bin/sh", "-c", script]);
      const res = await fetch(`http://127.0.0.1:${s.port}/`);
      expect(await res.text()).toBe("hello");
      expect(await stop(s)).toEqual({ code: 0, signal: null });
    }, 180_000);
  }

  test("a sysroot of another architecture is refused", () => {
    if (!existsSync("/usr/aarch64-linux-gnu/lib/libc.so.6") || process.arch !== "x64") {
      console.log("skipped: needs an x86-64 host with libc6-arm64-cross");
      return;
    }
    ensureBuilt("bun");
    const root = mkdtempSync(join(tmpdir(), "hello-server-rootfs-"));
    roots.push(root);
    // The x86-64 loader path does not exist in the arm64 sysroot; its libc would be the wrong machine.
    expect(() => assembleRootfs(BINARIES.bun, join(root, "fs"), "/usr/aarch64-linux-gnu")).toThrow(/not in the sysroot|another architecture/);
  });
});

/**
 * `bun build.ts --target`: Bun's cross-compile with the runtime from npm.
 * The arm64 binary runs here under qemu-user-static with Debian's
 * libc6-arm64-cross (both installed by .ci/run): --version, one served
 * request, SIGTERM; then its scratch root file system, alone, under qemu -L.
 */
const QEMU = "qemu-aarch64-static";
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
const hasQemu = spawnSync(QEMU, ["--version"]).status === 0 && existsSync(join(ARM64_SYSROOT, "lib", "libc.so.6"));

describe("cross-compiled executables", () => {
  const arm64 = join(ROOT, "hello-server-linux-arm64");
  if (!hasQemu) {
    test.skip(`linux-arm64 under qemu: needs ${QEMU} and ${ARM64_SYSROOT} (apt-get install qemu-user-static libc6-arm64-cross)`, () => {});
  } else {
    test("linux-arm64: an AArch64 executable that runs under qemu: --version, one request, SIGTERM exits 0", async () => {
      ensureBuilt("bun", "linux-arm64");
      expect(readElfDeps(arm64).machine).toBe(EM_AARCH64);
      const launcher = [QEMU, "-L", ARM64_SYSROOT];
      const version = spawnSync(QEMU, ["-L", ARM64_SYSROOT, arm64, "--version"], { encoding: "utf8", timeout: 30_000 });
      console.log(`$ ${QEMU} -L ${ARM64_SYSROOT} ./hello-server-linux-arm64 --version\n${version.stdout.trim()}`);
      expect(version.status).toBe(0);
      expect(version.stdout).toStartWith("hello-server ");
      const s = await start(arm64, DEFAULT_ARGS, undefined, launcher);
      const res = await fetch(`http://127.0.0.1:${s.port}/`);
      const body = await res.text();
      console.log(`GET http://127.0.0.1:${s.port}/ under qemu: ${res.status} ${JSON.stringify(body)} (listening after ${s.startMs.toFixed(0)} ms)`);
      expect(res.status).toBe(200);
      expect(body).toBe("hello");
      expect(await stop(s)).toEqual({ code: 0, signal: null });
    }, 180_000);

    test("linux-arm64: its scratch root file system alone runs it (qemu -L <rootfs>)", () => {
      ensureBuilt("bun", "linux-arm64");
      const root = mkdtempSync(join(tmpdir(), "hello-server-rootfs-arm64-"));
      try {
        const files = assembleRootfs(arm64, root, ARM64_SYSROOT);
        expect(files.map((f) => f.path)).toContain("/lib/ld-linux-aarch64.so.1");
        // qemu -L looks under the prefix first and falls back to the host's paths, which hold no arm64 files.
        const r = spawnSync(QEMU, ["-L", root, join(root, "hello-server"), "--version"], { encoding: "utf8", timeout: 30_000 });
        expect(r.status).toBe(0);
        expect(r.stdout).toStartWith("hello-server ");
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }, 180_000);
  }

  test("linux-x64-baseline: an x86-64 executable (runs here on x86-64)", () => {
    ensureBuilt("bun", "linux-x64-baseline");
    const binary = join(ROOT, "hello-server-linux-x64-baseline");
    expect(readElfDeps(binary).machine).toBe(EM_X86_64);
    if (process.arch !== "x64") return;
    const r = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toStartWith("hello-server ");
  }, 180_000);
});
