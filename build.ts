/**
 * Builds hello-server.
 *
 *   bun build.ts                      dist/hello-server.js + ./hello-server (Bun)   (= npm run build)
 *   bun build.ts --runtime node       + ./hello-server-node (Node single executable application)
 *   bun build.ts --runtime deno       + ./hello-server-deno (deno compile)
 *   bun build.ts --runtime all        every binary this machine can make; reports the ones it cannot
 *   bun build.ts --runtime none       the bundle only
 *   bun build.ts --entry FILE         bundle FILE instead of src/main.ts
 *   bun build.ts --target linux-arm64 ./hello-server-linux-arm64, cross-compiled (also linux-x64,
 *                                     linux-x64-baseline: x86-64 CPUs without AVX2); Bun only
 *   bun build.ts --rootfs DIR [--sysroot DIR]
 *                                     DIR/hello-server + its loader and libraries from the sysroot
 *                                     (default /): the Dockerfile's FROM scratch image
 *
 * Environment: NODE_BIN (the node whose binary becomes hello-server-node;
 * default `node` on PATH), DENORT_BIN (a local denort for `deno compile`,
 * which otherwise downloads it).
 */

import { build, type BuildOptions } from "esbuild";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { assembleRootfs, EM_AARCH64, EM_X86_64, readElfDeps } from "./build/rootfs.ts";

const ROOT = dirname(new URL(import.meta.url).pathname);
const DIST = join(ROOT, "dist");
const BUNDLE = join(DIST, "hello-server.js");
const BUNDLE_CJS = join(DIST, "hello-server.cjs");

const RUNTIMES = ["bun", "node", "deno"] as const;
type Runtime = (typeof RUNTIMES)[number];
const OUTPUT: Record<Runtime, string> = {
  bun: join(ROOT, "hello-server"),
  node: join(ROOT, "hello-server-node"),
  deno: join(ROOT, "hello-server-deno"),
};

/**
 * `--target`: Bun's own compile targets (bun.com/docs/bundler/executables).
 * Bun embeds the runtime of the target platform, which it would download
 * from GitHub; CI reaches only npm, so we take it from npm instead: the
 * per-platform packages the `bun` package itself installs from
 * (`@oven/bun-linux-aarch64` for the arm64 target), of the same version as
 * the Bun that compiles, handed to `--compile-executable-path`.
 */
const TARGETS = {
  "linux-x64": { bun: "bun-linux-x64", npm: "@oven/bun-linux-x64", machine: EM_X86_64 },
  /** For x86-64 CPUs without AVX2 (before Haswell, some virtual CPUs): Bun's default build needs it. */
  "linux-x64-baseline": { bun: "bun-linux-x64-baseline", npm: "@oven/bun-linux-x64-baseline", machine: EM_X86_64 },
  "linux-arm64": { bun: "bun-linux-arm64", npm: "@oven/bun-linux-aarch64", machine: EM_AARCH64 },
} as const;
type Target = keyof typeof TARGETS;
const TARGET_NAMES = Object.keys(TARGETS) as Target[];

/** Where the runtimes fetched for `--target` are kept between builds (node_modules/.cache: gone with `npm ci`). */
const RUNTIME_CACHE = join(ROOT, "node_modules", ".cache", "hello-server", "bun-runtimes");

function targetOutput(target: Target): string {
  return join(ROOT, `hello-server-${target}`);
}

/** A build step that cannot run on this machine; the message says what to do about it. */
class BuildError extends Error {
  override name = "BuildError";
}

/**
 * Options shared by both bundles. `bun:ffi` stays external: only the Bun
 * syscall back end imports it, dynamically, so Node and Deno never resolve it.
 * `node20` is the oldest runtime we support; Bun and Deno run all of its syntax.
 */
function bundleOptions(entry: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node20",
    external: ["bun:ffi"],
    // Halves the bundle (115 → 57 KiB) with no measurable effect on start-up
    // under Node, Bun or Deno (spawn to first response, median of 10, within noise).
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  };
}

/** dist/hello-server.js: the one ESM file that `bun`, `deno run` and `node` all run unchanged. */
async function bundleEsm(entry: string): Promise<void> {
  await build({ ...bundleOptions(entry), format: "esm", outfile: BUNDLE });
}

/**
 * dist/hello-server.cjs for the Node SEA: Node 20 runs a single-executable
 * application's script only as CommonJS (ESM entry points came with Node 24).
 * This is why src/ must not use top-level await or import.meta.
 */
async function bundleCjs(entry: string): Promise<void> {
  try {
    await build({ ...bundleOptions(entry), format: "cjs", outfile: BUNDLE_CJS, logLevel: "silent" });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new BuildError(`the CommonJS bundle for the Node SEA failed (Node 20 runs a SEA's script only as CommonJS, so src/ must not use top-level await): ${detail}`);
  }
}

function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { ok: boolean; stdout: string; output: string } {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...(opts.env ?? process.env), NO_COLOR: "1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 300_000,
  });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
  return { ok: r.status === 0, stdout: r.stdout ?? "", output };
}

/**
 * Runs the new binary once. Catches a binary that starts the bare runtime
 * instead of our code: a `deno` passed as DENORT_BIN compiles "fine" and
 * then prints Deno's own help. `launcher` runs a binary of another
 * architecture (qemu-user).
 */
function smokeTest(binary: string, launcher: readonly string[] = []): void {
  const r = launcher.length > 0 ? run(launcher[0]!, [...launcher.slice(1), binary, "--help"]) : run(binary, ["--help"]);
  if (!r.ok || !r.stdout.startsWith("hello-server")) {
    rmSync(binary, { force: true });
    throw new BuildError(`${binary} --help did not print hello-server's help:\n${r.output.trim().slice(0, 400)}`);
  }
}

const HOST_MACHINE = process.arch === "arm64" ? EM_AARCH64 : process.arch === "x64" ? EM_X86_64 : -1;

/**
 * How to run a `target` binary here: directly on its own architecture; an
 * arm64 one under qemu-user with Debian's arm64 C library (the packages
 * qemu-user-static and libc6-arm64-cross, as in .ci/run); undefined when
 * this machine cannot.
 */
function launcherFor(target: Target): string[] | undefined {
  if (TARGETS[target].machine === HOST_MACHINE) return [];
  const qemu = "qemu-aarch64-static";
  const sysroot = "/usr/aarch64-linux-gnu";
  if (TARGETS[target].machine !== EM_AARCH64 || !existsSync(join(sysroot, "lib", "libc.so.6")) || !run(qemu, ["--version"]).ok) return undefined;
  return [qemu, "-L", sysroot];
}

function must(step: string, cmd: string, args: readonly string[], opts?: Parameters<typeof run>[2]): void {
  const r = run(cmd, args, opts);
  if (!r.ok) throw new BuildError(`${step} failed: ${cmd} ${args.join(" ")}\n${r.output.trim()}`);
}

function localBin(name: string): string {
  const path = join(ROOT, "node_modules", ".bin", name);
  if (!existsSync(path)) throw new BuildError(`${path} is missing: run npm ci`);
  return path;
}

/** The Bun that runs this script compiles the binary; under another runtime, the project's own. */
function bunBin(): string {
  return typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? process.execPath : localBin("bun");
}

/**
 * ./hello-server via `bun build --compile` of the bundle, so the binary runs
 * exactly the code the bundle tests cover. `--bytecode` halves start-up
 * (measured, spawn to first response, median of 10: 30 ms → 15 ms) for 2 MiB
 * more; `--format=esm` keeps the bundle's module semantics (bytecode
 * defaults to CJS). `.env` and bunfig.toml autoloading is off: a server
 * binary must not change behaviour with the directory it is started from.
 * With a target, ./hello-server-<target> with that platform's runtime.
 */
function compileBun(target: Target | undefined): void {
  const cross = target === undefined ? [] : [`--target=${TARGETS[target].bun}`, `--compile-executable-path=${targetRuntime(target)}`];
  must("bun build --compile", bunBin(), [
    "build", BUNDLE, "--compile", "--minify", "--bytecode", "--format=esm",
    "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", ...cross,
    "--outfile", target === undefined ? OUTPUT.bun : targetOutput(target),
  ]);
}

function bunVersion(): string {
  const running = (process.versions as { bun?: string }).bun;
  if (running !== undefined && bunBin() === process.execPath) return running;
  const r = run(bunBin(), ["--version"]);
  if (!r.ok) throw new BuildError(`${bunBin()} --version failed: ${r.output.trim()}`);
  return r.stdout.trim();
}

/** The integrity package-lock.json records for `pkg@version` (the `bun` package lists every @oven/* runtime), if any. */
function lockedIntegrity(pkg: string, version: string): string | undefined {
  try {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages?: Record<string, { version?: string; integrity?: string }> };
    const entry = lock.packages?.[`node_modules/${pkg}`];
    return entry?.version === version ? entry.integrity : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Bun runtime for `target`: `npm pack` of its @oven/* package (npm does
 * not install a package whose `cpu` is not this machine's, so it cannot be
 * a dependency), checked against package-lock.json's integrity where the
 * lockfile has the package, unpacked into RUNTIME_CACHE once.
 */
function targetRuntime(target: Target): string {
  const version = bunVersion();
  const pkg = TARGETS[target].npm;
  const exe = join(RUNTIME_CACHE, `${pkg.slice("@oven/".length)}-${version}`, "bun");
  if (existsSync(exe)) return exe;
  mkdirSync(RUNTIME_CACHE, { recursive: true });
  // In the cache directory, not tmpdir(): the final rename must not cross file systems.
  const work = mkdtempSync(join(RUNTIME_CACHE, ".fetch-"));
  try {
    const r = run("npm", ["pack", `${pkg}@${version}`, "--json", "--pack-destination", work], { cwd: work });
    if (!r.ok) throw new BuildError(`npm pack ${pkg}@${version} failed (the runtime of --target ${target} comes from npm):\n${r.output.trim()}`);
    const [info] = JSON.parse(r.stdout) as { filename: string; integrity: string }[];
    if (info === undefined) throw new BuildError(`npm pack ${pkg}@${version} printed no package`);
    const locked = lockedIntegrity(pkg, version);
    if (locked !== undefined && locked !== info.integrity) {
      throw new BuildError(`${pkg}@${version}: npm pack got ${info.integrity}, package-lock.json records ${locked}`);
    }
    must("tar", "tar", ["-xzf", join(work, info.filename), "-C", work, "package/bin/bun"]);
    const fetched = join(work, "package", "bin", "bun");
    const machine = readElfDeps(fetched).machine;
    if (machine !== TARGETS[target].machine) throw new BuildError(`${pkg}@${version}: bin/bun is for ELF machine ${machine}, not ${TARGETS[target].machine}`);
    mkdirSync(dirname(exe), { recursive: true });
    renameSync(fetched, exe);
    console.log(`fetched ${pkg}@${version} from npm${locked === undefined ? "" : " (integrity as in package-lock.json)"}`);
    return exe;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The fuse Node looks for to know it carries a SEA blob (the value every Node release uses). */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/**
 * ./hello-server-node: a copy of the node binary with the CJS bundle injected
 * as a single executable application (nodejs.org/api/single-executable-applications.html).
 * The blob must be made by the same node binary it is injected into.
 */
function compileNode(): void {
  const node = process.env.NODE_BIN ?? "node";
  const which = run(node, ["-p", "process.execPath"]);
  if (!which.ok) throw new BuildError(`cannot run ${node} (set NODE_BIN to a Node >= 20 binary): ${which.output.trim()}`);
  const nodePath = which.output.trim();
  const seaConfig = join(DIST, "sea-config.json");
  const blob = join(DIST, "hello-server.blob");
  writeFileSync(seaConfig, JSON.stringify({
    main: BUNDLE_CJS,
    output: blob,
    disableExperimentalSEAWarning: true,
    // V8 code cache in the blob: the script is not compiled again at every start.
    useCodeCache: true,
  }));
  must("node --experimental-sea-config", nodePath, ["--experimental-sea-config", seaConfig]);
  rmSync(OUTPUT.node, { force: true });
  copyFileSync(nodePath, OUTPUT.node);
  chmodSync(OUTPUT.node, 0o755);
  must("postject", localBin("postject"), [OUTPUT.node, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE]);
}

/**
 * ./hello-server-deno via `deno compile`. It runs in an empty directory so
 * Deno finds no package.json and embeds no node_modules. The flags are the
 * ones `deno run` needs for the bundle: -A (net, env, /proc and cgroup
 * reads, spawning workers, FFI) and --unstable-net (Deno.listen's reusePort).
 */
function compileDeno(): void {
  const work = mkdtempSync(join(tmpdir(), "hello-server-deno-"));
  try {
    copyFileSync(BUNDLE, join(work, "hello-server.js"));
    const denort = process.env.DENORT_BIN || undefined;
    // An empty DENORT_BIN (the Dockerfile's default build argument) means "download it", not "the file ''".
    const env = { ...process.env };
    if (denort === undefined) delete env.DENORT_BIN;
    const r = run(localBin("deno"), [
      "compile", "-A", "--unstable-net", "--no-check", "--no-config", "--quiet",
      "--output", OUTPUT.deno, join(work, "hello-server.js"),
    ], { cwd: work, env });
    if (r.ok) return;
    const hint = denort === undefined
      ? "deno compile downloads its runtime, denort, from Deno's release server (no npm package ships it); " +
        "where that server cannot be reached, set DENORT_BIN to a local denort of the same Deno version " +
        "(denort-<target>.zip of that Deno release)."
      : `DENORT_BIN=${denort} was used; it must be a denort (not deno) of the same version as node_modules/.bin/deno.`;
    throw new BuildError(`deno compile failed. ${hint}\n${r.output.trim()}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const COMPILE: Record<Runtime, { build(target: Target | undefined): void; needsCjs: boolean }> = {
  bun: { build: compileBun, needsCjs: false },
  node: { build: () => compileNode(), needsCjs: true },
  deno: { build: () => compileDeno(), needsCjs: false },
};

const USAGE =
  "usage: bun build.ts [--runtime bun|node|deno|all|none] [--entry FILE] [--target " + TARGET_NAMES.join("|") + "] [--rootfs DIR [--sysroot DIR]]\n" +
  "  (default: --runtime bun for this machine; all = what this machine can build; --target: Bun only)";

interface Args {
  runtimes: Runtime[];
  bestEffort: boolean;
  entry: string;
  target: Target | undefined;
  rootfs: string | undefined;
  sysroot: string;
}

function parseArgs(argv: readonly string[]): Args {
  let runtime = "bun";
  let entry = join(ROOT, "src", "main.ts");
  let target: Target | undefined;
  let rootfs: string | undefined;
  let sysroot = "/";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") throw new BuildError(USAGE);
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new BuildError(`${name} needs a value`);
    if (name === "--runtime") runtime = value;
    else if (name === "--entry") entry = resolve(value);
    else if (name === "--target") {
      if (!(TARGET_NAMES as string[]).includes(value)) throw new BuildError(`--target must be ${TARGET_NAMES.join(", ")}, got '${value}'`);
      target = value as Target;
    } else if (name === "--rootfs") rootfs = resolve(value);
    else if (name === "--sysroot") sysroot = resolve(value);
    else throw new BuildError(`unknown argument ${arg}\n${USAGE}`);
  }
  const single = (r: Runtime): Args => ({ runtimes: [r], bestEffort: false, entry, target, rootfs, sysroot });
  // Node's SEA is a copy of the node that runs the build, and deno compile has targets of its own we do not fetch.
  if (target !== undefined && runtime !== "bun") throw new BuildError(`--target is for the Bun binary only (--runtime bun), not --runtime ${runtime}`);
  if (rootfs !== undefined && !(RUNTIMES as readonly string[]).includes(runtime)) throw new BuildError(`--rootfs needs one runtime (bun, node or deno), not --runtime ${runtime}`);
  if (runtime === "all") return { ...single("bun"), runtimes: [...RUNTIMES], bestEffort: true };
  if (runtime === "none") return { ...single("bun"), runtimes: [] };
  if (!(RUNTIMES as readonly string[]).includes(runtime)) throw new BuildError(`--runtime must be bun, node, deno, all or none, got '${runtime}'`);
  return single(runtime as Runtime);
}

function size(path: string): string {
  return `${(statSync(path).size / 1024 / 1024).toFixed(2)} MiB`;
}

/** DIR for --rootfs: made here, so it must not hold anything yet (we never empty a directory we were pointed at). */
function writeRootfs(executable: string, rootfs: string, sysroot: string): void {
  let files;
  try {
    files = assembleRootfs(executable, rootfs, sysroot);
  } catch (err) {
    throw new BuildError(`--rootfs: ${err instanceof Error ? err.message : String(err)}`);
  }
  const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(2)} MiB`;
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  console.log(`built ${rootfs} (${mib(total)}: the executable ${mib(files[0]!.bytes)}, loader and libraries ${mib(total - files[0]!.bytes)})`);
  for (const f of files) console.log(`  ${f.path} ${f.bytes}`);
}

async function main(): Promise<number> {
  const { runtimes, bestEffort, entry, target, rootfs, sysroot } = parseArgs(process.argv.slice(2));
  if (rootfs !== undefined && existsSync(rootfs) && readdirSync(rootfs).length > 0) throw new BuildError(`--rootfs ${rootfs} exists and is not empty`);
  mkdirSync(DIST, { recursive: true });
  const t0 = performance.now();
  await bundleEsm(entry);
  console.log(`built ${BUNDLE} (${(statSync(BUNDLE).size / 1024).toFixed(1)} KiB) in ${Math.round(performance.now() - t0)} ms`);
  const failed: string[] = [];
  for (const runtime of runtimes) {
    const t = performance.now();
    const output = target === undefined ? OUTPUT[runtime] : targetOutput(target);
    try {
      if (COMPILE[runtime].needsCjs) await bundleCjs(entry);
      COMPILE[runtime].build(target);
      const launcher = target === undefined ? [] : launcherFor(target);
      if (launcher !== undefined) smokeTest(output, launcher);
      else console.log(`${output}: not run here (an arm64 binary runs on x86-64 under qemu-aarch64-static with Debian's libc6-arm64-cross)`);
      console.log(`built ${output} (${size(output)}) in ${Math.round(performance.now() - t)} ms`);
      if (rootfs !== undefined) writeRootfs(output, rootfs, sysroot);
    } catch (err) {
      if (!(err instanceof BuildError)) throw err;
      console.error(`cannot build ${output}: ${err.message}`);
      failed.push(runtime);
    }
  }
  // --runtime all is "what this machine can build": only the default (Bun) binary is required.
  if (bestEffort) {
    if (failed.length > 0) console.error(`skipped: ${failed.join(", ")}`);
    return failed.includes("bun") ? 1 : 0;
  }
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof BuildError ? err.message : err);
    process.exit(1);
  },
);
