/**
 * The latency pass of bench/compare.ts: every running server at every
 * rate, the open-loop generator (bench/openloop/openloop.ts) as a child
 * process pinned to the generator's CPUs, the server's CPU from /proc
 * around each run. Servers take turns at each rate (A B C at 25%, then
 * A B C at 50%, …), so drift hits all alike.
 */
import { join } from "node:path";
import type { LatencyOptions } from "../cli/compare-args.ts";
import type { LatencyRecord, Rate } from "./summary.ts";
import { treeCpuUs } from "../measure/proc.ts";
import type { Running } from "../servers/kinds.ts";
import { parseOpenLoopOutput } from "../../openloop/result.ts";

export interface LatencyPassSetup {
  options: LatencyOptions;
  rates: readonly Rate[];
  /** taskset -c list of the generator. */
  generatorCpus: string;
  /** Runtime running the generator (Bun: it uses bun:ffi). */
  bun: string;
  body: string;
  /** argv before taskset (prlimit for large connection counts). */
  prefix?: string[];
  log(msg: string): void;
}

/** Seconds the generator may take after the window to send its backlog and collect answers. */
const DRAIN_S = 5;

export function openLoopArgs(url: string, rate: number, o: LatencyOptions, body: string): string[] {
  return [
    "--url", url, "--rate", String(rate), "--duration", String(o.durationS), "--connections", String(o.connections),
    "--body", body, "--drain", String(DRAIN_S), "--max-lateness-us", String(o.maxLatenessP99Us), "--json",
    ...(o.arrivals === "poisson" ? ["--poisson"] : []),
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
        setup.log(`[latency ${records.length}/${total}] ${server.instance.key} ${rate.label} (${rate.rps} req/s) run ${run}: ` +
          (rec.valid ? `p50 ${ms(l?.p50)} p99 ${ms(l?.p99)} p99.9 ${ms(l?.p999)} max ${ms(l?.max)} ms` : `INVALID: ${rec.invalidReasons.join("; ")}`));
      }
    }
  }
  return records;
}

async function measureLatency(setup: LatencyPassSetup, server: Running, rate: Rate, run: number): Promise<LatencyRecord> {
  const base = { instance: server.instance.key, rateLabel: rate.label, rate: rate.rps, run };
  const argv = [...(setup.prefix ?? []), "taskset", "-c", setup.generatorCpus, setup.bun, join(import.meta.dir, "../../openloop/openloop.ts"),
    ...openLoopArgs(`http://127.0.0.1:${server.port}/`, rate.rps, setup.options, setup.body)];
  const before = treeCpuUs(server.pid);
  try {
    const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill("SIGKILL"), (setup.options.durationS + DRAIN_S + 30) * 1000);
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    const serverCpuUs = treeCpuUs(server.pid) - before;
    if (code !== 0) throw new Error(`openloop exited with ${code}: ${stderr.trim().slice(0, 500)}`);
    const result = parseOpenLoopOutput(stdout);
    return { ...base, result, serverCpuUs, valid: result.valid, invalidReasons: result.invalidReasons };
  } catch (e) {
    return { ...base, serverCpuUs: NaN, valid: false, invalidReasons: [(e as Error).message] };
  }
}
