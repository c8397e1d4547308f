/**
 * The first step of a comparison: everything decided before a server
 * starts (runtimes, which servers, which scenarios, the load generator,
 * CPUs, the open-file limit, TLS files), gathered in one Session the
 * later steps read. A choice that drops something leaves a note for the
 * report instead of failing the run.
 *
 * Usage: const session = planSession(parseCompareArgs(argv), root, log)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { CompareOptions } from "../cli/compare-args.ts";
import type { GeneratorTool } from "../measure/generator.ts";
import type { InstanceInfo } from "../report/summarize.ts";
import { planCpus, type CpuPlan } from "../servers/cpus.ts";
import { connectionsWithin, planFdLimit, type FdPlan } from "../servers/fdlimit.ts";
import { which } from "../servers/host.ts";
import { installRuntime } from "../servers/install.ts";
import { expandInstances, filterInstances, type Instance, type LaunchContext } from "../servers/kinds.ts";
import { describeMachine, type Machine } from "../servers/machine.ts";
import { bundleNatives, peerBundler } from "../servers/natives.ts";
import { discoverRuntimes, type Runtime } from "../servers/runtimes.ts";
import { makeBenchCert } from "../servers/tls.ts";
import { runsOn, SCENARIOS, type Scenario, type Wire } from "../types.ts";

export interface Session {
  opts: CompareOptions;
  root: string;
  startedAt: string;
  /** Lines for the report: what was skipped and why. */
  notes: string[];
  machine: Machine;
  runtimes: Runtime[];
  missingRuntimes: string[];
  nginx: string | undefined;
  /** h2load, when a HTTP/2 or gRPC scenario is asked for and it is installed. */
  h2load: string | undefined;
  instances: Instance[];
  /** Report rows of the instances, filled in as the steps learn things (start-up times, errors, RSS). */
  info: Map<string, InstanceInfo>;
  scenarios: Scenario[];
  /** The --connections counts the open-file limit allows. */
  connectionCounts: number[];
  fd: FdPlan;
  tool: GeneratorTool;
  toolName: string;
  cpus: CpuPlan;
  strace: boolean;
  /** Scratch directory of the session (removed at the end). */
  tmp: string;
  launch: Omit<LaunchContext, "port" | "runtime">;
  log(msg: string): void;
}

export function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] ?? "";
}

export function planSession(opts: CompareOptions, root: string, log: (msg: string) => void): Session {
  const notes: string[] = [];
  const machine = describeMachine();
  const { runtimes, missing } = pickRuntimes(opts, log, notes);
  const fd = planFdLimit(Math.max(...opts.connections));
  const { ok: connectionCounts, skipped } = connectionsWithin(opts.connections, fd.limit);
  notes.push(...skipped);
  if (connectionCounts.length === 0) throw new Error(skipped.join("; "));
  const nginx = which("nginx");
  const h2o = which("h2o");
  const bundle = join(root, "dist/hello-server.js");
  let instances = pickInstances(opts, runtimes, { nginx, h2o }, bundle, root, log, notes);
  const { tool, toolName } = pickGenerator(opts, runtimes, fd);
  if (opts.strace === "on" && !which("strace")) throw new Error("--strace: strace is not installed");
  const h2load = which("h2load");
  const tmp = mkdtempSync(join(os.tmpdir(), "hello-compare-"));
  const { scenarios, tls } = pickScenarios(opts, tool, h2load, tmp, notes);
  // Launch only the kinds some selected scenario runs on (TLS kinds for TLS scenarios).
  instances = instances.filter((i) => scenarios.some((s) => runsOn(s.id, i.kind)));
  const info = new Map<string, InstanceInfo>(instances.map((i) => [i.key, {
    key: i.key, label: i.label, kindId: i.kind.id, tls: i.kind.tls === true, ...(i.kind.serves ? { serves: [...i.kind.serves] } : {}), runtime: i.runtime?.name, native: i.kind.native === true, startupMs: [], peakRssBytes: 0,
  }]));
  return {
    opts, root, startedAt: new Date().toISOString(), notes, machine, runtimes, missingRuntimes: missing, nginx, h2load, instances, info, scenarios,
    connectionCounts, fd, tool, toolName, cpus: planCpus(machine.cores, opts.workers),
    strace: opts.strace === "on" || (opts.strace === "auto" && which("strace") !== undefined),
    tmp,
    launch: {
      workers: opts.workers, bundle, natives: bundleNatives(tmp), nginx, tmp, body: opts.body, prefix: fd.prefix,
      maxConnections: Math.max(...connectionCounts), tls, peer: peerBundler(tmp), h2o,
    },
    log,
  };
}

/** The runtimes found here, then the versions fetched from npm: one that cannot be had stops here, before any server starts. */
function pickRuntimes(opts: CompareOptions, log: (msg: string) => void, notes: string[]): { runtimes: Runtime[]; missing: string[] } {
  const installed = opts.installs.map((spec) => installRuntime(spec, log));
  const { found: runtimes, missing } = discoverRuntimes(opts.runtimes);
  for (const rt of installed) if (!runtimes.some((r) => r.name === rt.name)) runtimes.push(rt);
  for (const m of missing) notes.push(`runtime ${m} not found: skipped`);
  return { runtimes, missing };
}

function pickInstances(opts: CompareOptions, runtimes: readonly Runtime[], binaries: Record<"nginx" | "h2o", string | undefined>, bundle: string, root: string, log: (msg: string) => void, notes: string[]): Instance[] {
  let instances = filterInstances(expandInstances(runtimes), opts.only);
  // Only the kinds some asked-for scenario runs on need their program.
  const asked = instances.filter((i) => opts.scenarios.some((id) => runsOn(id, i.kind)));
  if (!binaries.nginx && asked.some((i) => i.kind.id === "nginx")) notes.push("nginx not installed: no nginx row, no vs-nginx ratios");
  for (const name of ["nginx", "h2o"] as const) {
    const missing = asked.filter((i) => i.kind.binary === name && i.kind.id !== "nginx");
    if (!binaries[name] && missing.length) notes.push(`${name} not installed: no ${missing.map((i) => i.label).join(", ")} row`);
  }
  instances = instances.filter((i) => (i.kind.id === "nginx" ? binaries.nginx : i.kind.binary === undefined || binaries[i.kind.binary]) !== undefined);
  if (instances.some((i) => i.kind.needsBundle) && !existsSync(bundle)) {
    log("dist/hello-server.js missing: npm run build");
    spawnSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", 2, 2] });
    if (!existsSync(bundle)) {
      notes.push("dist/hello-server.js could not be built: hello-server rows skipped");
      instances = instances.filter((i) => !i.kind.needsBundle);
    }
  }
  if (instances.length === 0) throw new Error("nothing to compare (check --only and the runtimes found)");
  return instances;
}

/** wrk when installed (or forced), else bench/load.ts on Bun (or Deno). */
function pickGenerator(opts: CompareOptions, runtimes: readonly Runtime[], fd: FdPlan): { tool: GeneratorTool; toolName: string } {
  const wrk = opts.generator === "load" ? undefined : which("wrk");
  if (opts.generator === "wrk" && !wrk) throw new Error("--generator wrk: wrk is not installed");
  if (wrk) return { tool: { kind: "wrk", path: wrk, prefix: fd.prefix }, toolName: firstLine(wrk, ["-v"]).split(" [")[0]! };
  const rt = runtimes.find((r) => r.kind === "bun") ?? runtimes.find((r) => r.kind === "deno");
  const argv = rt?.kind === "deno" ? [rt.path, "run", "-A"] : [rt?.path ?? process.execPath];
  return { tool: { kind: "load.ts", argv, prefix: fd.prefix }, toolName: `bench/load.ts on ${rt?.name ?? "bun"}` };
}

/**
 * The scenarios asked for. The TLS ones get one ECDSA P-256 certificate
 * for every TLS server; HTTPS/1.1 needs wrk (bench/load.ts speaks no TLS),
 * the HTTP/2 and gRPC ones h2load. What cannot run is dropped with a note.
 */
function pickScenarios(opts: CompareOptions, tool: GeneratorTool, h2load: string | undefined, tmp: string, notes: string[]): { scenarios: Scenario[]; tls: LaunchContext["tls"] } {
  let scenarios = SCENARIOS.filter((s) => opts.scenarios.includes(s.id));
  const drop = (wires: readonly Wire[], why: string) => {
    const gone = scenarios.filter((s) => wires.includes(s.wire));
    if (gone.length) notes.push(`${gone.map((s) => s.id).join(", ")} skipped: ${why}`);
    scenarios = scenarios.filter((s) => !wires.includes(s.wire));
  };
  if (tool.kind !== "wrk") drop(["https1"], "wrk is not installed (bench/load.ts speaks no TLS)");
  if (h2load === undefined) drop(["h2c", "h2", "grpc", "grpcs"], "h2load is not installed (Debian's nghttp2-client)");
  if (!scenarios.some((s) => s.tls)) return { scenarios, tls: undefined };
  if (which("openssl") !== undefined) return { scenarios, tls: makeBenchCert(tmp) };
  drop(["https1", "h2", "grpcs"], "openssl is not installed");
  return { scenarios, tls: undefined };
}
