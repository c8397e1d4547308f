/**
 * The measuring steps of a comparison, in the order bench/compare.ts runs
 * them: start every server (start-to-first-response), check what each
 * answers, the throughput runs, the syscall pass. Each step reads the
 * Session and returns what it measured; problems with one server are
 * written to its report row and the others go on.
 */
import { h2Exchange, h2Problems } from "../measure/h2-check.ts";
import { DATE_GAP_S, plaintextProblems } from "../measure/plaintext.ts";
import { measureProtocolRun } from "../measure/protocol-runs.ts";
import { measureRun, straceRun, type MeasureSetup, type StraceRecord } from "../measure/runs.ts";
import { launch, type Running } from "../servers/kinds.ts";
import { probe, type ProbeResult } from "../servers/probe.ts";
import { isGrpcWire, isProtocolScenario, runsOn, type RunRecord, type Scenario } from "../types.ts";
import type { Session } from "./plan.ts";

/** Response sizes by `instance scenario`, for the byte-count check of the measured runs. */
export type ResponseSizes = Map<string, number>;

/** What the checks found: HTTP/1.1 response sizes, and the HTTP/2 answer checks' problems by `instance scenario`. */
export interface Checked {
  sizes: ResponseSizes;
  refused: Map<string, string[]>;
}

export function measureSetup(s: Session, connections = s.connectionCounts[0]!): MeasureSetup {
  return { tool: s.tool, cpus: s.cpus, connections, tmp: s.tmp, body: s.opts.body, h2load: s.h2load };
}

/**
 * One HTTP/2 exchange per HTTP/2 or gRPC scenario (h2-check.ts): the body
 * and gRPC status h2load never reads. The WebSocket generator checks every
 * echo itself.
 */
async function checkProtocol(s: Session, r: Running, sc: Scenario, refused: Map<string, string[]>): Promise<void> {
  if (sc.wire === "ws") return;
  const grpc = isGrpcWire(sc.wire);
  const problems = await h2Exchange(r.port, { tls: sc.tls === true, grpc, timeoutMs: 5000 })
    .then((a) => h2Problems(a, { grpc, body: s.opts.body }), (e: Error) => [e.message]);
  if (problems.length) {
    refused.set(`${r.instance.key} ${sc.id}`, problems);
    s.log(`${r.instance.label} ${sc.id}: answer check failed: ${problems.join("; ")}`);
  }
}

/** Extra fresh starts first (their times kept), then the start that stays running. */
export async function startServers(s: Session, running: Running[]): Promise<void> {
  for (const inst of s.instances) {
    const info = s.info.get(inst.key)!;
    try {
      for (let k = 1; k < s.opts.startups; k++) {
        const r = await launch(inst, s.launch, s.cpus.server);
        info.startupMs.push(r.startupMs);
        await r.stop();
      }
      const r = await launch(inst, s.launch, s.cpus.server);
      info.startupMs.push(r.startupMs);
      if (r.io !== undefined) {
        info.io = r.io;
        // The default back end's row says which one served (--diff matches rows by it too).
        if (inst.kind.servedLabel) inst.label = info.label = inst.kind.servedLabel(inst.runtime, r.io);
      }
      running.push(r);
    } catch (e) {
      info.error = (e as Error).message;
      s.log(`skipping ${inst.label}: ${info.error}`);
    }
  }
}

/**
 * The exact response per scenario (its size for the byte check), and the
 * plaintext checks: Server, Date, text/plain, exact body, and a Date that
 * changes DATE_GAP_S later (one wait for all servers).
 */
export async function checkServers(s: Session, running: readonly Running[]): Promise<Checked> {
  const sizes: ResponseSizes = new Map();
  const refused = new Map<string, string[]>();
  const firsts = new Map<string, ProbeResult>();
  for (const r of running) {
    for (const sc of s.scenarios) {
      if (!runsOn(sc.id, r.instance.kind)) continue;
      if (isProtocolScenario(sc.id)) {
        await checkProtocol(s, r, sc, refused);
        continue;
      }
      try {
        const p = await probe(r.port, { close: sc.close, tls: sc.tls });
        if (!firsts.has(r.instance.key)) firsts.set(r.instance.key, p);
        sizes.set(`${r.instance.key} ${sc.id}`, p.size);
      } catch (e) {
        s.info.get(r.instance.key)!.error = `probe: ${(e as Error).message}`;
      }
    }
  }
  // The Date check is HTTP/1.1's (plaintext.ts); a session of protocol scenarios only has nothing to wait for.
  if (firsts.size > 0) await Bun.sleep(DATE_GAP_S * 1000 + 100);
  for (const r of running) {
    const first = firsts.get(r.instance.key);
    if (!first) continue;
    const later = await probe(r.port, { tls: r.instance.kind.tls }).catch(() => undefined);
    const problems = plaintextProblems(first, later, s.opts.body);
    if (problems.length) s.info.get(r.instance.key)!.error = `plaintext checks: ${problems.join("; ")}`;
  }
  return { sizes, refused };
}

/**
 * Per scenario: TechEmpower's primer (5 s at 8 connections) when asked,
 * the warm-up and validation pass at the largest count (every status and
 * body checked, then discarded), then the measured runs, servers taking
 * turns so drift hits all alike.
 */
export async function throughputPass(s: Session, allRunning: readonly Running[], checked: Checked): Promise<RunRecord[]> {
  const o = s.opts;
  const { sizes } = checked;
  const runs: RunRecord[] = [];
  const maxConnections = s.launch.maxConnections;
  const perScenario = (sc: Scenario) => (isProtocolScenario(sc.id) ? 1 + o.runs : (o.primer ? 1 : 0) + 1 + s.connectionCounts.length * o.runs);
  const total = s.scenarios.reduce((n, sc) => n + allRunning.filter((r) => runsOn(sc.id, r.instance.kind)).length * perScenario(sc), 0);
  const record = (rec: RunRecord, what: string) => {
    runs.push(rec);
    const state = rec.valid ? `${Math.round(rec.requestsPerSec).toLocaleString("en-US")} req/s, ${Math.round(1e6 / rec.cpuPerRequestUs).toLocaleString("en-US")}/core${rec.generatorBound ? " (generator-bound)" : ""}` : `INVALID: ${rec.invalidReasons.join("; ")}`;
    s.log(`[${runs.length}/${total}] ${rec.instance} ${rec.scenario} ${rec.connections}c ${what}: ${state}`);
  };
  for (const sc of s.scenarios) {
    const size = (r: Running) => sizes.get(`${r.instance.key} ${sc.id}`);
    const running = allRunning.filter((r) => runsOn(sc.id, r.instance.kind));
    const run = (r: Running, connections: number, n: number, seconds: number) => measureRun(measureSetup(s, connections), r, sc, n, seconds, size(r));
    if (isProtocolScenario(sc.id)) {
      // Their own fixed connection count, no primer: a warm-up run, then the measured runs, servers taking turns.
      const protocolRun = (r: Running, n: number, seconds: number) => measureProtocolRun(measureSetup(s), r, sc, n, seconds, checked.refused.get(`${r.instance.key} ${sc.id}`));
      for (const r of running) record(await protocolRun(r, 0, o.warmupS), "warm-up");
      for (let n = 1; n <= o.runs; n++) for (const r of running) record(await protocolRun(r, n, o.durationS), `run ${n}`);
      continue;
    }
    if (o.primer) for (const r of running) record(await run(r, Math.min(8, maxConnections), -1, Math.min(5, o.durationS)), "primer");
    for (const r of running) record(await run(r, maxConnections, 0, o.warmupS), "warm-up");
    for (const connections of s.connectionCounts) {
      for (let n = 1; n <= o.runs; n++) for (const r of running) record(await run(r, connections, n, o.durationS), `run ${n}`);
    }
  }
  return runs;
}

/** System calls per request under load (strace -f -c), one short run per server and scenario. */
export async function stracePass(s: Session, running: readonly Running[]): Promise<StraceRecord[]> {
  const out: StraceRecord[] = [];
  if (!s.strace) return out;
  // wrk's scenarios only: h2load and the WebSocket generator have no strace run (the report's method says so).
  for (const sc of s.scenarios.filter((x) => !isProtocolScenario(x.id))) {
    for (const r of running) {
      if (!runsOn(sc.id, r.instance.kind)) continue;
      const rec = await straceRun(measureSetup(s), r, sc, s.opts.straceS);
      out.push(rec);
      s.log(`strace ${r.instance.key} ${sc.id}: ${rec.error ?? `${rec.perRequest.toFixed(2)} syscalls/request`}`);
    }
  }
  return out;
}
