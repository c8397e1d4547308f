/**
 * One measured (or warm-up) run of a protocol scenario, as a RunRecord
 * like wrk's (runs.ts), so the summaries, tables, charts and --diff take
 * the HTTP/2, WebSocket and gRPC rows as they are: h2load for h2c,
 * h2c-single, h2-tls and grpc (bench/h2/h2load.ts), the WebSocket echo
 * generator for echo-ws (bench/ws-echo/ws-echo.ts, a child process pinned
 * to the generator CPU: its epoll loop must not share a core with the
 * session or the server). `requests` is 2xx answers or echoed messages.
 *
 * Usage: const rec = await measureProtocolRun(setup, server, scenario, run, seconds, checkProblems)
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { runH2load } from "../../h2/h2load.ts";
import { parseWsEchoOutput } from "../../ws-echo/result.ts";
import { WS_PATH, type Running } from "../servers/kinds.ts";
import { isGrpcWire, type LoadResult, type RunRecord, type Scenario } from "../types.ts";
import { busyUs, cpuBusyTicks, cpuList, treeCpuUs } from "./proc.ts";
import type { MeasureSetup } from "./runs.ts";
import { isGeneratorBound } from "./validity.ts";

const ROOT = resolve(import.meta.dir, "../../..");
const NO_LATENCY = { p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };

/** What a run measured, before the shared verdict and ratios. */
interface Measured {
  load: LoadResult;
  generatorCpuUs: number;
  generatorWallUs: number;
  /** Server CPU over the counted exchanges only. */
  serverCpuUs: number;
  /** Span of the counted exchanges (µs): h2load's -D, the echo generator's window. */
  activeUs: number;
  reasons: string[];
}

/**
 * `checkProblems`: what the answer check before the runs found wrong
 * (h2-check.ts); a server that failed it gets no counted run, whatever
 * h2load's status counts say.
 */
export async function measureProtocolRun(setup: MeasureSetup, server: Running, scenario: Scenario, run: number, durationS: number, checkProblems: readonly string[] = []): Promise<RunRecord> {
  const connections = scenario.connections ?? setup.connections;
  const base = { instance: server.instance.key, scenario: scenario.id, connections, run };
  const serverCpus = cpuList(setup.cpus.server);
  const ownBefore = treeCpuUs(server.pid);
  const busyBefore = cpuBusyTicks();
  const startedAt = performance.now();
  let m: Measured;
  try {
    m = scenario.wire === "ws" ? await wsRun(setup, server, connections, durationS) : await h2Run(setup, server, scenario, connections, durationS, busyBefore);
  } catch (e) {
    const load = { durationUs: 0, requests: 0, bytes: 0, errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 }, latencyUs: NO_LATENCY, checked: 0, bad: 0 };
    return { ...base, load, generator: { cpuUs: NaN, wallUs: 0, cores: 0 }, serverCpuUs: NaN, requestsPerSec: 0, cpuPerRequestUs: NaN, valid: false, invalidReasons: [(e as Error).message], generatorBound: false, foreignCpuShare: NaN };
  }
  const wallUs = (performance.now() - startedAt) * 1000;
  // Others' share of the server's CPUs over the whole run (process starts included), as runs.ts computes it.
  const ours = treeCpuUs(server.pid) - ownBefore + (setup.cpus.shared ? m.generatorCpuUs : 0);
  const foreign = busyUs(busyBefore, cpuBusyTicks(), serverCpus) - ours;
  const generator = { cpuUs: m.generatorCpuUs, wallUs: m.generatorWallUs, cores: setup.cpus.generatorCores };
  const reasons = [...checkProblems.map((p) => `answer check: ${p}`), ...m.reasons];
  const requests = m.load.requests;
  return {
    ...base,
    load: m.load,
    generator,
    serverCpuUs: m.serverCpuUs,
    requestsPerSec: m.load.durationUs > 0 ? requests / (m.load.durationUs / 1e6) : 0,
    cpuPerRequestUs: requests > 0 ? m.serverCpuUs / requests : NaN,
    valid: reasons.length === 0,
    invalidReasons: reasons,
    generatorBound: isGeneratorBound(generator, m.serverCpuUs, setup.cpus.serverCores, m.activeUs),
    foreignCpuShare: Math.min(1, Math.max(0, foreign / (wallUs * serverCpus.length))),
  };
}

/** One h2load, no warm-up of its own (the comparison's run 0 is the warm-up), pinned to the generator CPUs. */
async function h2Run(setup: MeasureSetup, server: Running, sc: Scenario, connections: number, durationS: number, busyBefore: Map<number, number>): Promise<Measured> {
  const startedAt = performance.now();
  const r = await runH2load({
    url: `${sc.tls ? "https" : "http"}://127.0.0.1:${server.port}/`,
    connections, streams: sc.streams ?? 1, durationS, warmupS: 0, cpus: setup.cpus.generator, serverPids: [server.pid],
    grpc: isGrpcWire(sc.wire), h2load: setup.h2load ?? "h2load",
  });
  const c = r.counts;
  const other = c.status["3xx"] + c.status["4xx"] + c.status["5xx"];
  return {
    load: {
      durationUs: durationS * 1e6, requests: c.status["2xx"], bytes: 0,
      // h2load's "failed" includes connections that never opened; "errored" streams reset or broken.
      errors: { connect: c.failed, read: c.errored, write: 0, status: other, timeout: c.timeout },
      latencyUs: NO_LATENCY, checked: 0, bad: 0,
    },
    // h2load reports no CPU time of its own: the busy time of the generator's CPUs it was pinned to stands in.
    generatorCpuUs: busyUs(busyBefore, cpuBusyTicks(), cpuList(setup.cpus.generator)),
    generatorWallUs: (performance.now() - startedAt) * 1000,
    serverCpuUs: r.serverCpuUs ?? NaN,
    activeUs: durationS * 1e6,
    reasons: r.invalidReasons,
  };
}

function execJson(argv: string[], timeoutMs: number): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(argv[0]!, argv.slice(1), { cwd: ROOT, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`ws-echo generator: ${stderr.trim().split("\n").pop() ?? error.message}`));
      else ok(stdout);
    });
  });
}

/** One run of the echo generator: fresh connections, no warm-up of its own, server CPU over its window. */
async function wsRun(setup: MeasureSetup, server: Running, connections: number, durationS: number): Promise<Measured> {
  const argv = [
    "taskset", "-c", setup.cpus.generator, process.execPath, "bench/ws-echo/ws-echo.ts", "--json",
    "--url", `ws://127.0.0.1:${server.port}${WS_PATH}`, "--connections", String(connections), "--size", "32",
    "--warmup", "0", "--duration", String(durationS), "--pid", String(server.pid),
  ];
  // Its own bounds: 5 s to connect, the drain's 2 s after the window; the rest is margin for a stalled server.
  const r = parseWsEchoOutput(await execJson(argv, (durationS + 30) * 1000));
  const e = r.errors;
  return {
    load: {
      durationUs: r.windowUs, requests: r.messages, bytes: 0,
      errors: { connect: e.connect + e.handshake, read: e.read + e.closed + e.unexpected, write: e.write, status: e.wrongEcho, timeout: e.timeout },
      latencyUs: { ...r.roundTripUs, mean: NaN }, checked: r.echoed, bad: e.wrongEcho,
    },
    generatorCpuUs: r.generatorCpuUs,
    generatorWallUs: r.wallUs,
    serverCpuUs: r.serverCpuUs ?? NaN,
    activeUs: r.windowUs,
    reasons: r.invalidReasons,
  };
}
