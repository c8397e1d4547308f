/**
 * The HTTP/2 and gRPC load of the comparison: h2load (Debian's
 * nghttp2-client) with one thread, optionally pinned with taskset, a
 * warm-up run first (its own h2load, --warmup seconds, checked but not
 * measured) and then the measured run; server CPU µs per 2xx answer from
 * /proc (utime+stime of the given pids and their descendants, before and
 * after the measured h2load). A warm-up that is a run of its own keeps
 * the CPU sample exact: h2load's --warm-up-time would put the warm-up's
 * requests inside the server's CPU delta but outside its counts.
 *
 * Scenarios (H2_SCENARIOS): h2c (-c 16 -m 32: many streams per
 * connection), h2c-single (-c 64 -m 1: one stream at a time), h2-tls
 * (-c 16 -m 32 over https://, h2 by ALPN) and grpc (unary
 * grpc.health.v1.Health/Check, -c 16 -m 32, body from GRPC_HEALTH_REQUEST).
 *
 * Usage: flock /tmp/hello-bench.lock bun bench/h2/h2load.ts --url http://127.0.0.1:8000/ \
 *          [--scenario h2c|h2c-single|h2-tls|grpc] [--connections N] [--streams N] [--duration 5]
 *          [--warmup 1] [--cpus 1] [--pid PID]... [--h2load PATH] [--json]
 * Prints a summary on stderr and one `H2LOAD_RESULT {json}` line on
 * stdout; --json prints only that line. Exit 0 even for an invalid run;
 * 1 when it could not run. Runs on Bun or Node (node:child_process).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { integer, oneOf, positive, readFlags } from "../lib/cli/flags.ts";
import { treeCpuUs } from "../lib/measure/proc.ts";
import { h2loadProblems, parseH2loadOutput, type H2loadCounts } from "./parse.ts";

/** The comparison's HTTP/2 rows (../shared/BENCH.md, "HTTP/2, WebSocket, gRPC"). */
export const H2_SCENARIOS = {
  h2c: { connections: 16, streams: 32, tls: false, grpc: false },
  "h2c-single": { connections: 64, streams: 1, tls: false, grpc: false },
  "h2-tls": { connections: 16, streams: 32, tls: true, grpc: false },
  grpc: { connections: 16, streams: 32, tls: false, grpc: true },
} as const;
export type H2ScenarioName = keyof typeof H2_SCENARIOS;

/** The unary method the grpc scenario calls. */
export const GRPC_HEALTH_CHECK = "/grpc.health.v1.Health/Check";
/**
 * A HealthCheckRequest for the empty service name, as a gRPC message: the
 * 5-byte prefix (not compressed, length 0) and an empty protobuf message
 * (proto3 leaves a field at its default, "", off the wire).
 */
export const GRPC_HEALTH_REQUEST = new Uint8Array([0, 0, 0, 0, 0]);

export interface H2loadOptions {
  /** http:// (h2c with prior knowledge) or https:// (h2 by ALPN). With grpc, only its origin is used. */
  url: string;
  connections: number;
  /** Concurrent streams per connection (h2load -m). */
  streams: number;
  durationS: number;
  /** Seconds of a separate warm-up run first; 0 for none. */
  warmupS: number;
  /** taskset CPU list for h2load ("1", "2-3"), or null to leave it unpinned. */
  cpus: string | null;
  serverPids: number[];
  /** Unary gRPC health Check instead of GET. */
  grpc: boolean;
  /** The h2load binary. */
  h2load: string;
}

export const H2LOAD_DEFAULTS = { durationS: 5, warmupS: 1, cpus: null, serverPids: [], h2load: "h2load" } as const;

export interface H2loadResult {
  url: string;
  connections: number;
  streams: number;
  durationS: number;
  warmupS: number;
  grpc: boolean;
  /** The measured run's counts; the warm-up's only show in invalidReasons. */
  counts: H2loadCounts;
  serverPids: number[];
  /** Server CPU over the measured h2load, and per 2xx answer; null without pids. */
  serverCpuUs: number | null;
  cpuUsPerRequest: number | null;
  /** The measured run's argv. */
  command: string[];
  valid: boolean;
  invalidReasons: string[];
}

export const H2LOAD_MARK = "H2LOAD_RESULT ";

/** h2load's -D takes whole seconds or a unit: fractions go as milliseconds. */
function duration(s: number): string {
  return Number.isInteger(s) ? String(s) : `${Math.round(s * 1000)}ms`;
}

/** The argv of one h2load run (taskset first when pinned). `bodyFile`: the gRPC request, with grpc. */
export function h2loadArgv(o: H2loadOptions, seconds: number, bodyFile: string | null): string[] {
  const url = o.grpc ? new URL(GRPC_HEALTH_CHECK, o.url).href : o.url;
  // gRPC over HTTP/2: POST (h2load's -d), content-type application/grpc, and te: trailers, which gRPC requires of every call.
  const grpc = o.grpc && bodyFile !== null ? ["-d", bodyFile, "-H", "content-type: application/grpc", "-H", "te: trailers"] : [];
  const argv = [o.h2load, "-c", String(o.connections), "-m", String(o.streams), "-t", "1", "-D", duration(seconds), ...grpc, url];
  return o.cpus === null ? argv : ["taskset", "-c", o.cpus, ...argv];
}

function run(argv: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr: error !== null && stderr === "" ? error.message : stderr });
    });
  });
}

/** One h2load: its counts and what makes it not count. */
async function once(argv: string[], seconds: number, protocol: "h2" | "h2c"): Promise<{ counts: H2loadCounts; problems: string[] }> {
  // h2load stops itself after -D; the margin covers connecting and a slow server's last answers.
  const { code, stdout, stderr } = await run(argv, (seconds + 30) * 1000);
  const counts = parseH2loadOutput(stdout + (code === 0 ? "" : `\n${stderr}`));
  const problems = h2loadProblems(counts, protocol);
  if (code !== 0) problems.unshift(`h2load exited with ${code}: ${stderr.trim().slice(0, 200)}`);
  return { counts, problems };
}

export async function runH2load(o: H2loadOptions): Promise<H2loadResult> {
  const protocol = new URL(o.url).protocol;
  if (protocol !== "http:" && protocol !== "https:") throw new Error(`http:// or https:// URLs only, got ${o.url}`);
  const expected = protocol === "https:" ? "h2" : "h2c";
  const dir = o.grpc ? mkdtempSync(join(tmpdir(), "hello-h2load-")) : null;
  try {
    const bodyFile = dir === null ? null : join(dir, "health-check-request.bin");
    if (bodyFile !== null) writeFileSync(bodyFile, GRPC_HEALTH_REQUEST);
    const reasons: string[] = [];
    if (o.warmupS > 0) {
      const warm = await once(h2loadArgv(o, o.warmupS, bodyFile), o.warmupS, expected);
      for (const p of warm.problems) reasons.push(`warm-up: ${p}`);
    }
    const command = h2loadArgv(o, o.durationS, bodyFile);
    const cpu = () => o.serverPids.reduce((sum, pid) => sum + treeCpuUs(pid), 0);
    const before = cpu();
    const measured = await once(command, o.durationS, expected);
    const serverCpuUs = o.serverPids.length > 0 ? cpu() - before : null;
    reasons.push(...measured.problems);
    const ok = measured.counts.status["2xx"];
    return {
      url: o.url, connections: o.connections, streams: o.streams, durationS: o.durationS, warmupS: o.warmupS, grpc: o.grpc,
      counts: measured.counts, serverPids: o.serverPids, serverCpuUs,
      cpuUsPerRequest: serverCpuUs !== null && ok > 0 ? serverCpuUs / ok : null,
      command, valid: reasons.length === 0, invalidReasons: reasons,
    };
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

export const USAGE = `Usage: bun bench/h2/h2load.ts --url http://HOST:PORT/ [options]
  --scenario NAME   ${Object.entries(H2_SCENARIOS).map(([k, v]) => `${k} (-c ${v.connections} -m ${v.streams}${v.tls ? ", https://" : ""}${v.grpc ? ", unary health Check" : ""})`).join(", ")}; default h2c
  --connections N   h2load -c (default: the scenario's)
  --streams N       h2load -m (default: the scenario's)
  --duration S      seconds measured (default ${H2LOAD_DEFAULTS.durationS})
  --warmup S        seconds of a warm-up run first, 0 for none (default ${H2LOAD_DEFAULTS.warmupS})
  --cpus LIST       pin h2load with taskset -c LIST
  --pid PID         a server process to measure (with its descendants); repeat for several
  --h2load PATH     the h2load binary (default h2load)
  --json            only the H2LOAD_RESULT line
`;

export function parseH2loadArgs(argv: readonly string[]): { options: H2loadOptions; json: boolean; help: boolean } {
  const { values: v } = readFlags(argv, {
    url: { type: "string" }, scenario: { type: "string" }, connections: { type: "string" }, streams: { type: "string" },
    duration: { type: "string" }, warmup: { type: "string" }, cpus: { type: "string" }, pid: { type: "string", multiple: true },
    h2load: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" },
  }, USAGE);
  const help = v.help === true;
  if (!help && v.url === undefined) throw new Error(`--url is required\n\n${USAGE}`);
  const scenario = H2_SCENARIOS[oneOf("scenario", v.scenario, Object.keys(H2_SCENARIOS) as H2ScenarioName[], "h2c")];
  const url = v.url ?? "http://127.0.0.1/";
  if (!help && scenario.tls !== url.startsWith("https://")) throw new Error(`--scenario ${v.scenario} wants an ${scenario.tls ? "https" : "http"}:// URL`);
  return {
    help,
    json: v.json === true,
    options: {
      url,
      connections: integer("connections", v.connections, scenario.connections),
      streams: integer("streams", v.streams, scenario.streams),
      durationS: positive("duration", v.duration, H2LOAD_DEFAULTS.durationS),
      warmupS: v.warmup === "0" ? 0 : positive("warmup", v.warmup, H2LOAD_DEFAULTS.warmupS),
      cpus: v.cpus ?? null,
      serverPids: (v.pid ?? []).map((p) => integer("pid", p, 0)),
      grpc: scenario.grpc,
      h2load: v.h2load ?? H2LOAD_DEFAULTS.h2load,
    },
  };
}

/** The human summary (stderr). */
export function describeH2load(r: H2loadResult): string {
  const c = r.counts;
  return [
    `${r.grpc ? `${r.url} gRPC ${GRPC_HEALTH_CHECK}` : r.url} over ${c.protocol || "?"}, -c ${r.connections} -m ${r.streams}, ${r.warmupS} s warm-up + ${r.durationS} s`,
    `  ${c.done} done, ${c.status["2xx"]} 2xx: ${Math.round(c.requestsPerS)} req/s; failed ${c.failed}, errored ${c.errored}, timeout ${c.timeout}, non-2xx ${c.done - c.status["2xx"]}`,
    `  server CPU ${r.cpuUsPerRequest === null ? "—" : r.cpuUsPerRequest.toFixed(2)} µs per request (${r.serverPids.length > 0 ? `pids ${r.serverPids.join(",")}` : "no --pid given"})`,
    r.valid ? "  VALID" : `  INVALID: ${r.invalidReasons.join("; ")}`,
  ].join("\n");
}

/** The result from the command line's stdout (the line after H2LOAD_MARK). */
export function parseH2loadResult(stdout: string): H2loadResult {
  const line = stdout.split("\n").find((l) => l.startsWith(H2LOAD_MARK));
  if (line === undefined) throw new Error(`no ${H2LOAD_MARK.trim()} line in the output`);
  return JSON.parse(line.slice(H2LOAD_MARK.length)) as H2loadResult;
}

if (import.meta.main) {
  try {
    const { options, json, help } = parseH2loadArgs(process.argv.slice(2));
    if (help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const result = await runH2load(options);
    if (!json) process.stderr.write(`${describeH2load(result)}\n`);
    process.stdout.write(`${H2LOAD_MARK}${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`h2load: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
