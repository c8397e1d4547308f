/**
 * The latency pass of bench/compare.ts: every running server at every
 * rate, the open-loop generator (bench/openloop/openloop.ts) as child
 * processes pinned to the generator's CPUs (one, or one per
 * --generator-cpus CPU on a shared schedule, merged exactly), the
 * server's CPU from /proc around each run. Servers take turns at each
 * rate (A B C at 50%, then A B C at 75%, …), so drift hits all alike.
 */
import { join } from "node:path";
import type { LatencyOptions } from "../cli/compare-args.ts";
import type { LatencyRecord, Rate } from "./summary.ts";
import { judgeLatency } from "./verdict.ts";
import { treeCpuUs } from "../measure/proc.ts";
import type { Running } from "../servers/kinds.ts";
import { mergeResults } from "../../openloop/merge.ts";
import { parseOpenLoopOutput, type OpenLoopResult } from "../../openloop/result.ts";

export interface LatencyPassSetup {
  options: LatencyOptions;
  rates: readonly Rate[];
  /** taskset -c list of the generator (one process), when options.generatorCpus is empty. */
  generatorCpus: string;
  serverCores: number;
  /** Runtime running the generator (Bun: it uses bun:ffi). */
  bun: string;
  body: string;
  /** argv before taskset (prlimit for large connection counts). */
  prefix?: string[];
  log(msg: string): void;
}

/** Seconds the generator may take after the window to send its backlog and collect answers. */
const DRAIN_S = 5;
/** Several generator processes start their shared schedule this long after they are spawned: Bun's start and the FFI load take ~100–300 ms, and the 0.5 s warm-up absorbs a late one. */
const SHARED_START_MS = 1000;

export function openLoopArgs(url: string, rate: number, o: LatencyOptions, body: string, close = false): string[] {
  return [
    "--url", url, "--rate", String(rate), "--duration", String(o.durationS), "--connections", String(o.connections),
    "--body", body, "--drain", String(DRAIN_S), "--max-lateness-us", String(o.maxLatenessP99Us), "--json",
    ...(o.latenessRule === "strict" ? ["--strict-lateness"] : []),
    ...(o.arrivals === "poisson" ? ["--poisson"] : []),
    ...(close ? ["--close"] : []),
  ];
}

export async function runLatencyPass(setup: LatencyPassSetup, running: readonly Running[]): Promise<LatencyRecord[]> {
  const records: LatencyRecord[] = [];
  const total = setup.rates.length * setup.options.runs * running.length;
  for (const rate of setup.rates) {
    for (let run = 1; run <= setup.options.runs; run++) {
      for (const server of running) {
        const rec = await measureLatency(setup, server, rate, run);
        records.push(rec);
        const l = rec.result?.latencyUs;
        const ms = (us: number | undefined) => (us === undefined || !Number.isFinite(us) ? "—" : (us / 1000).toFixed(3));
        setup.log(`[latency ${records.length}/${total}] ${server.instance.key} ${rate.label} (${rec.rate} req/s) run ${run}: ` +
          (rec.valid ? `p50 ${ms(l?.p50)} p99 ${ms(l?.p99)} p99.9 ${ms(l?.p999)} max ${ms(l?.max)} ms` : `${(rec.verdict ?? "invalid").toUpperCase()}: ${rec.invalidReasons.join("; ")}`));
      }
    }
  }
  return records;
}

/** One generator process per CPU of --generator-cpus (each with its share of the connections), or one on the plan's CPUs. */
function generatorArgv(setup: LatencyPassSetup, url: string, rps: number, close: boolean): string[][] {
  const script = join(import.meta.dir, "../../openloop/openloop.ts");
  const o = setup.options;
  const cpus = o.generatorCpus;
  if (cpus.length <= 1) {
    const list = cpus.length === 1 ? String(cpus[0]) : setup.generatorCpus;
    return [[...(setup.prefix ?? []), "taskset", "-c", list, setup.bun, script, ...openLoopArgs(url, rps, o, setup.body, close)]];
  }
  const startAt = Date.now() + SHARED_START_MS;
  const each = { ...o, connections: Math.max(1, Math.ceil(o.connections / cpus.length)) };
  return cpus.map((cpu, i) => [...(setup.prefix ?? []), "taskset", "-c", String(cpu), setup.bun, script,
    ...openLoopArgs(url, rps, each, setup.body, close), "--share", `${i}/${cpus.length}`, "--start-at", String(startAt)]);
}

async function runGenerator(argv: string[], timeoutS: number): Promise<OpenLoopResult> {
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutS * 1000);
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`openloop exited with ${code}: ${stderr.trim().slice(0, 500)}`);
    return parseOpenLoopOutput(stdout);
  } finally {
    clearTimeout(timer);
  }
}

async function measureLatency(setup: LatencyPassSetup, server: Running, rate: Rate, run: number): Promise<LatencyRecord> {
  const rps = rate.perInstance ? rate.perInstance[server.instance.key] : rate.rps;
  const procs = Math.max(1, setup.options.generatorCpus.length);
  const base = { instance: server.instance.key, rateLabel: rate.label, rate: rps ?? NaN, run, generatorProcs: procs };
  if (rps === undefined) return { ...base, serverCpuUs: NaN, valid: false, verdict: "invalid", invalidReasons: ["no capacity figure for this server in this session (its throughput runs were invalid)"] };
  const argvs = generatorArgv(setup, `http://127.0.0.1:${server.port}/`, rps, rate.mode === "close");
  const before = treeCpuUs(server.pid);
  try {
    const parts = await Promise.all(argvs.map((argv) => runGenerator(argv, setup.options.durationS + DRAIN_S + 30)));
    const serverCpuUs = treeCpuUs(server.pid) - before;
    const result = mergeResults(parts);
    const verdict = judgeLatency(result, { serverCpu: serverCpuUs / result.wallUs, serverCores: setup.serverCores, generatorProcs: procs });
    return { ...base, result, serverCpuUs, valid: result.valid, verdict, invalidReasons: result.invalidReasons };
  } catch (e) {
    return { ...base, serverCpuUs: NaN, valid: false, verdict: "invalid", invalidReasons: [(e as Error).message] };
  }
}
