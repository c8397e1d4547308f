/**
 * One measured (or validation) run of one server: server CPU from /proc
 * before and after, the generator run, and the verdict on the run.
 */
import type { CpuPlan } from "../servers/cpus.ts";
import { runGenerator, type GeneratorTool } from "./generator.ts";
import { busyUs, cpuBusyTicks, cpuList, treeCpuUs } from "./proc.ts";
import type { Running } from "../servers/kinds.ts";
import { attachStrace, threadCount, type SyscallCount } from "./strace.ts";
import type { RunRecord, Scenario } from "../types.ts";
import { isGeneratorBound, judgeRun } from "./validity.ts";
import { processTree } from "./proc.ts";
import { join } from "node:path";

export interface MeasureSetup {
  tool: GeneratorTool;
  /** Expected response body (--body). */
  body?: string;
  cpus: CpuPlan;
  connections: number;
  tmp: string;
  /** h2load for the HTTP/2 and gRPC scenarios (protocol-runs.ts); default: h2load on PATH. */
  h2load?: string;
}

export async function measureRun(
  setup: MeasureSetup,
  server: Running,
  scenario: Scenario,
  run: number,
  durationS: number,
  responseBytes: number | undefined,
): Promise<RunRecord> {
  const before = treeCpuUs(server.pid);
  const busyBefore = cpuBusyTicks();
  const startedAt = performance.now();
  const req = {
    url: `${scenario.tls ? "https" : "http"}://127.0.0.1:${server.port}/`,
    scenario,
    connections: setup.connections,
    threads: Math.min(setup.cpus.generatorCores, setup.connections),
    durationS,
    check: run === 0,
    body: setup.body,
  };
  const base = { instance: server.instance.key, scenario: scenario.id, connections: setup.connections, run };
  let gen;
  try {
    gen = await runGenerator(setup.tool, req, setup.cpus.generator, setup.cpus.generatorCores, setup.tmp);
  } catch (e) {
    const load = { durationUs: 0, requests: 0, bytes: 0, errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 }, latencyUs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }, checked: 0, bad: 0 };
    return { ...base, load, generator: { cpuUs: NaN, wallUs: 0, cores: 0 }, serverCpuUs: NaN, requestsPerSec: 0, cpuPerRequestUs: NaN, valid: false, invalidReasons: [(e as Error).message], generatorBound: false, foreignCpuShare: NaN };
  }
  const wallUs = (performance.now() - startedAt) * 1000;
  const serverCpuUs = treeCpuUs(server.pid) - before;
  const serverCpus = cpuList(setup.cpus.server);
  const ours = serverCpuUs + (setup.cpus.shared ? gen.usage.cpuUs : 0);
  const foreign = busyUs(busyBefore, cpuBusyTicks(), serverCpus) - ours;
  // The load ran for durationUs; the rest of wallUs is process start and
  // wrk's post-processing, when the server idles.
  const activeUs = gen.load.durationUs > 0 ? Math.min(gen.load.durationUs, wallUs) : wallUs;
  const verdict = judgeRun(gen.load, { scenario, connections: setup.connections, responseBytes });
  const requests = gen.load.requests;
  return {
    ...base,
    load: gen.load,
    generator: gen.usage,
    serverCpuUs,
    requestsPerSec: gen.load.durationUs > 0 ? requests / (gen.load.durationUs / 1e6) : 0,
    cpuPerRequestUs: requests > 0 ? serverCpuUs / requests : NaN,
    valid: verdict.valid,
    invalidReasons: verdict.reasons,
    generatorBound: isGeneratorBound(gen.usage, serverCpuUs, setup.cpus.serverCores, activeUs),
    // Same window as the /proc/stat samples (the whole wall time).
    foreignCpuShare: Math.min(1, Math.max(0, foreign / (wallUs * serverCpus.length))),
  };
}

export interface StraceRecord {
  instance: string;
  scenario: string;
  requests: number;
  calls: number;
  perRequest: number;
  top: SyscallCount[];
  error?: string;
}

/** A short run under `strace -f -c`: system calls per request. */
export async function straceRun(setup: MeasureSetup, server: Running, scenario: Scenario, durationS: number): Promise<StraceRecord> {
  const base = { instance: server.instance.key, scenario: scenario.id };
  const pids = processTree(server.pid);
  const session = attachStrace(pids, threadCount(pids), join(setup.tmp, `strace-${server.pid}-${scenario.id}.txt`));
  try {
    await session.ready;
    const req = { url: `${scenario.tls ? "https" : "http"}://127.0.0.1:${server.port}/`, scenario, connections: setup.connections, threads: 1, durationS, check: false };
    const gen = await runGenerator(setup.tool, req, setup.cpus.generator, setup.cpus.generatorCores, setup.tmp);
    const summary = await session.stop();
    const requests = gen.load.requests;
    return { ...base, requests, calls: summary.total, perRequest: requests > 0 ? summary.total / requests : NaN, top: summary.byCall.slice(0, 6) };
  } catch (e) {
    await session.stop().catch(() => undefined);
    return { ...base, requests: 0, calls: 0, perRequest: NaN, top: [], error: (e as Error).message };
  }
}
