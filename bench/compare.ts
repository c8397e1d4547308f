/**
 * Runtime comparison: hello-server on bun, deno and node next to each
 * runtime's own server (Bun.serve, Deno.serve, node:http) and nginx,
 * same bytes on the wire, measured in one session (method: bench/lib/output.ts).
 *
 * Usage: bun bench/compare.ts [--quick] [--runs 3] [--only hello,native] ...
 *        bun bench/compare.ts --connections 64,256,1024 (a sweep)
 *        bun bench/compare.ts --preset techempower
 *        bun bench/compare.ts --runtime bun@1.3.9 (fetched from npm, cached)
 *        bun bench/compare.ts --rates 25%,50%,75%,90% (latency at fixed rates, open-loop)
 *        bun bench/compare.ts --preset latency
 *        bun bench/compare.ts --diff results/A results/B
 *        (npm run compare -- --help for all options)
 * Wrap in `flock /tmp/hello-bench.lock` on a shared machine.
 * Writes results/<timestamp>/{report.json,report.md,capacity.svg,chart.svg,
 * sweep-*.svg,latency.svg,spectrum.svg,index.html}
 * and prints the Markdown tables on stdout.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseCompareArgs, USAGE } from "./lib/args.ts";
import { planCpus } from "./lib/cpus.ts";
import { runDiff } from "./lib/diff.ts";
import { connectionsWithin, planFdLimit } from "./lib/fdlimit.ts";
import { installRuntime } from "./lib/install.ts";
import { latencyMethod, resolveRates, summarizeLatency, type LatencySection } from "./lib/latency.ts";
import { runLatencyPass } from "./lib/latency-run.ts";
import { DATE_GAP_S, plaintextProblems } from "./lib/plaintext.ts";
import type { GeneratorTool } from "./lib/generator.ts";
import { describeMachine } from "./lib/machine.ts";
import { measureRun, straceRun, type MeasureSetup, type StraceRecord } from "./lib/measure.ts";
import { methodLines, writeReport, type Report } from "./lib/output.ts";
import { probe, type ProbeResult } from "./lib/probe.ts";
import { treePeakRss } from "./lib/proc.ts";
import { discoverRuntimes, type RuntimeKind } from "./lib/runtimes.ts";
import { expandInstances, filterInstances, launch, type LaunchContext, type Running } from "./lib/servers.ts";
import { summarizeRuns, type InstanceInfo } from "./lib/summarize.ts";
import { runsOn, SCENARIOS, type RunRecord, type ScenarioId } from "./lib/types.ts";
import { makeBenchCert } from "./lib/tls.ts";

const ROOT = resolve(import.meta.dir, "..");
const log = (msg: string) => process.stderr.write(`compare: ${msg}\n`);

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] ?? "";
}

function bundleNatives(tmp: string): Record<RuntimeKind, string> {
  const files = { bun: "bun-serve", deno: "deno-serve", node: "node-http" } as const;
  const out = {} as Record<RuntimeKind, string>;
  for (const [kind, name] of Object.entries(files) as Array<[RuntimeKind, string]>) {
    out[kind] = join(tmp, `${name}.mjs`);
    // One plain-JS file per reference: node 20 cannot run TypeScript.
    execFileSync(join(ROOT, "node_modules/.bin/esbuild"), [join(ROOT, `bench/native/${name}.ts`), "--bundle", "--platform=node", "--format=esm", `--outfile=${out[kind]}`, "--log-level=warning"]);
  }
  return out;
}

async function main(): Promise<void> {
  const opts = parseCompareArgs(process.argv.slice(2));
  if (opts.help) return void process.stdout.write(USAGE);
  if (opts.diff) {
    const out = resolve(ROOT, opts.out);
    const { md } = runDiff(resolve(ROOT, opts.diff[0]), resolve(ROOT, opts.diff[1]), { force: opts.force, out, root: ROOT });
    return void process.stdout.write(`${md}\nWritten: ${join(out, "diff.md")}, ${join(out, "diff.html")}\n`);
  }
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const machine = describeMachine();
  // Versions from npm first: a version that cannot be had stops here, before any server starts.
  const installed = opts.installs.map((spec) => installRuntime(spec, log));
  const { found: runtimes, missing } = discoverRuntimes(opts.runtimes);
  for (const rt of installed) if (!runtimes.some((r) => r.name === rt.name)) runtimes.push(rt);
  const fd = planFdLimit(Math.max(...opts.connections));
  const { ok: connectionCounts, skipped } = connectionsWithin(opts.connections, fd.limit);
  notes.push(...skipped);
  if (connectionCounts.length === 0) throw new Error(skipped.join("; "));
  const maxConnections = Math.max(...connectionCounts);
  const tmp = mkdtempSync(join(os.tmpdir(), "hello-compare-"));
  for (const m of missing) notes.push(`runtime ${m} not found: skipped`);
  const nginx = findBinary("nginx");
  let instances = filterInstances(expandInstances(runtimes), opts.only);
  if (!nginx && instances.some((i) => i.kind.id === "nginx")) {
    notes.push("nginx not installed: no nginx row, no vs-nginx ratios");
    instances = instances.filter((i) => i.kind.id !== "nginx");
  }
  const bundle = join(ROOT, "dist/hello-server.js");
  if (instances.some((i) => i.kind.needsBundle) && !existsSync(bundle)) {
    log("dist/hello-server.js missing: npm run build");
    spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", 2, 2] });
    if (!existsSync(bundle)) {
      notes.push("dist/hello-server.js could not be built: hello-server rows skipped");
      instances = instances.filter((i) => !i.kind.needsBundle);
    }
  }
  if (instances.length === 0) throw new Error("nothing to compare (check --only and the runtimes found)");

  const wrk = opts.generator === "load" ? undefined : findBinary("wrk");
  if (opts.generator === "wrk" && !wrk) throw new Error("--generator wrk: wrk is not installed");
  const loadRuntime = runtimes.find((r) => r.kind === "bun") ?? runtimes.find((r) => r.kind === "deno");
  const tool: GeneratorTool = wrk
    ? { kind: "wrk", path: wrk, prefix: fd.prefix }
    : { kind: "load.ts", argv: loadRuntime?.kind === "deno" ? [loadRuntime.path, "run", "-A"] : [loadRuntime?.path ?? process.execPath], prefix: fd.prefix };
  const toolName = wrk ? firstLine(wrk, ["-v"]).split(" [")[0]! : `bench/load.ts on ${loadRuntime?.name ?? "bun"}`;
  const strace = opts.strace === "on" || (opts.strace === "auto" && findBinary("strace") !== undefined);
  if (opts.strace === "on" && !findBinary("strace")) throw new Error("--strace: strace is not installed");
  const cpus = planCpus(machine.cores, opts.workers);
  const setup: MeasureSetup = { tool, cpus, connections: connectionCounts[0]!, tmp, body: opts.body };
  const at = (connections: number): MeasureSetup => ({ ...setup, connections });
  let scenarios = SCENARIOS.filter((s) => opts.scenarios.includes(s.id));
  // TLS scenarios: one ECDSA P-256 certificate for every TLS server, and wrk (bench/load.ts speaks no TLS).
  let tlsFiles: LaunchContext["tls"];
  if (scenarios.some((s) => s.tls)) {
    const why = !wrk ? "wrk is not installed (bench/load.ts speaks no TLS)" : findBinary("openssl") === undefined ? "openssl is not installed" : null;
    if (why === null) tlsFiles = makeBenchCert(tmp);
    else {
      notes.push(`TLS scenarios skipped: ${why}`);
      scenarios = scenarios.filter((s) => !s.tls);
    }
  }
  // Launch only the kinds some selected scenario runs on (types.ts runsOn: TLS kinds for TLS scenarios).
  instances = instances.filter((i) => scenarios.some((s) => runsOn(s.id, i.kind.id)));
  const ctx: Omit<LaunchContext, "port" | "runtime"> = {
    workers: opts.workers, bundle, natives: bundleNatives(tmp), nginx, tmp, body: opts.body, prefix: fd.prefix, maxConnections, tls: tlsFiles,
  };

  const info = new Map<string, InstanceInfo>(instances.map((i) => [i.key, {
    key: i.key, label: i.label, kindId: i.kind.id, runtime: i.runtime?.name, native: i.kind.native === true, startupMs: [], peakRssBytes: 0,
  }]));
  const running: Running[] = [];
  const stopAll = () => Promise.all(running.map((r) => r.stop()));
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));

  const runs: RunRecord[] = [];
  const straces: StraceRecord[] = [];
  let latency: LatencySection | undefined;
  try {
    log(`${instances.length} servers × ${scenarios.length} scenarios, generator ${toolName}, server CPU ${cpus.server}, generator CPU ${cpus.generator}`);
    // Start-to-first-response: extra fresh starts first, the last start is kept running.
    for (const inst of instances) {
      const i = info.get(inst.key)!;
      try {
        for (let k = 1; k < opts.startups; k++) {
          const r = await launch(inst, ctx, cpus.server);
          i.startupMs.push(r.startupMs);
          await r.stop();
        }
        const r = await launch(inst, ctx, cpus.server);
        i.startupMs.push(r.startupMs);
        running.push(r);
      } catch (e) {
        i.error = (e as Error).message;
        log(`skipping ${inst.label}: ${i.error}`);
      }
    }

    // Probe the exact response per scenario (size for the byte check), and
    // the plaintext checks: Server, Date, text/plain, exact body, and a Date
    // that changes 3 s later (one wait for all servers).
    const sizes = new Map<string, number>();
    const firsts = new Map<string, ProbeResult>();
    for (const r of running) {
      for (const sc of scenarios) {
        if (!runsOn(sc.id, r.instance.kind.id)) continue;
        try {
          const p = await probe(r.port, { close: sc.close, tls: sc.tls });
          if (!firsts.has(r.instance.key)) firsts.set(r.instance.key, p);
          sizes.set(`${r.instance.key} ${sc.id}`, p.size);
        } catch (e) {
          info.get(r.instance.key)!.error = `probe: ${(e as Error).message}`;
        }
      }
    }
    await Bun.sleep(DATE_GAP_S * 1000 + 100);
    for (const r of running) {
      const first = firsts.get(r.instance.key);
      if (!first) continue;
      const later = await probe(r.port, { tls: r.instance.kind.tls }).catch(() => undefined);
      const problems = plaintextProblems(first, later, opts.body);
      if (problems.length) info.get(r.instance.key)!.error = `plaintext checks: ${problems.join("; ")}`;
    }

    const perScenario = (opts.primer ? 1 : 0) + 1 + connectionCounts.length * opts.runs;
    const allRunning = running;
    const total = scenarios.reduce((n, sc) => n + running.filter((r) => runsOn(sc.id, r.instance.kind.id)).length, 0) * perScenario;
    const record = (rec: RunRecord, what: string) => {
      runs.push(rec);
      const state = rec.valid ? `${Math.round(rec.requestsPerSec).toLocaleString("en-US")} req/s, ${Math.round(1e6 / rec.cpuPerRequestUs).toLocaleString("en-US")}/core${rec.generatorBound ? " (generator-bound)" : ""}` : `INVALID: ${rec.invalidReasons.join("; ")}`;
      log(`[${runs.length}/${total}] ${rec.instance} ${rec.scenario} ${rec.connections}c ${what}: ${state}`);
    };
    for (const sc of scenarios) {
      const size = (r: Running) => sizes.get(`${r.instance.key} ${sc.id}`);
      const running = allRunning.filter((r) => runsOn(sc.id, r.instance.kind.id));
      // TechEmpower's primer: 5 s at 8 connections, then the warm-up at the largest count.
      if (opts.primer) for (const r of running) record(await measureRun(at(Math.min(8, maxConnections)), r, sc, -1, Math.min(5, opts.durationS), size(r)), "primer");
      // Warm-up and validation (every status and body checked) at the largest count: discarded.
      for (const r of running) record(await measureRun(at(maxConnections), r, sc, 0, opts.warmupS, size(r)), "warm-up");
      for (const connections of connectionCounts) {
        for (let run = 1; run <= opts.runs; run++) {
          for (const r of running) record(await measureRun(at(connections), r, sc, run, opts.durationS, size(r)), `run ${run}`);
        }
      }
    }

    if (opts.latency.rates.length > 0) {
      // The shares are of capacities measured above, in this session.
      const rows = summarizeRuns([...info.values()], runs, [], scenarios.map((s) => s.id as ScenarioId), connectionCounts);
      const { rates, basis, notes: rateNotes } = resolveRates(opts.latency.rates, rows, cpus.serverCores);
      notes.push(...rateNotes);
      log(`latency: ${rates.map((r) => `${r.label} = ${r.rps} req/s`).join(", ")}${basis ? ` (shares of ${basis.label}'s ${Math.round(basis.rps)} req/s)` : ""}, ${opts.latency.durationS} s each`);
      // Plain HTTP only: the open-loop generator speaks no TLS.
      const records = await runLatencyPass({ options: opts.latency, rates, generatorCpus: cpus.generator, bun: process.execPath, body: opts.body, prefix: fd.prefix, log }, running.filter((r) => r.instance.kind.tls !== true));
      latency = { options: opts.latency, basis, rates, records, summary: [] };
    }

    if (strace) {
      for (const sc of scenarios) {
        for (const r of running) {
          if (!runsOn(sc.id, r.instance.kind.id)) continue;
          const s = await straceRun(setup, r, sc, opts.straceS);
          straces.push(s);
          log(`strace ${r.instance.key} ${sc.id}: ${s.error ?? `${s.perRequest.toFixed(2)} syscalls/request`}`);
        }
      }
    }
    for (const r of running) info.get(r.instance.key)!.peakRssBytes = treePeakRss(r.pid);
  } finally {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }

  const executables = ["hello-server", "hello-server-node", "hello-server-deno"]
    .filter((f) => existsSync(join(ROOT, f)))
    .map((f) => ({ path: `./${f}`, bytes: statSync(join(ROOT, f)).size }));
  const instanceInfo = [...info.values()];
  const report: Report = {
    version: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    command: ["bun bench/compare.ts", ...process.argv.slice(2)].join(" "),
    options: opts,
    machine,
    runtimes,
    missingRuntimes: missing,
    nginx: nginx ? firstLine(nginx, ["-v"]).replace("nginx version: ", "") : undefined,
    generator: { tool: tool.kind, version: toolName, cpus: cpus.generator, threads: Math.min(cpus.generatorCores, connectionCounts[0]!) },
    cpuPlan: cpus,
    method: [...methodLines(opts, cpus, toolName, strace, connectionCounts, fd.note), ...(latency ? latencyMethod(latency, cpus.generator) : [])],
    notes,
    instances: instanceInfo,
    runs,
    strace: straces,
    executables,
    connections: connectionCounts,
    summary: summarizeRuns(instanceInfo, runs, straces, scenarios.map((s) => s.id as ScenarioId), connectionCounts),
    ...(latency ? { latency: { ...latency, summary: summarizeLatency(instanceInfo, latency.rates, latency.records) } } : {}),
  };
  const out = resolve(ROOT, opts.out);
  const { stdout } = writeReport(out, report);
  process.stdout.write(`${stdout}\nMethod and raw runs: ${join(out, "report.md")}, report.json; charts: capacity.svg, chart.svg${connectionCounts.length > 1 ? ", sweep-*.svg" : ""}${report.latency?.summary.some((x) => x.validRuns > 0) ? ", latency.svg, spectrum.svg" : ""}; all in one page: ${join(out, "index.html")}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`compare: ${e.message}\n`);
  process.exit(1);
});
