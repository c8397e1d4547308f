/**
 * Runtime comparison: hello-server on bun, deno and node next to each
 * runtime's own server (Bun.serve, Deno.serve, node:http) and nginx,
 * same bytes on the wire, measured in one session (method: bench/lib/report/output.ts).
 *
 * Usage: bun bench/compare.ts [--quick] [--runs 3] [--only hello,native] ...
 *        bun bench/compare.ts --connections 64,256,1024 (a sweep)
 *        bun bench/compare.ts --preset techempower
 *        bun bench/compare.ts --runtime bun@1.3.9 (fetched from npm, cached)
 *        bun bench/compare.ts --rates 25%,50%,75%,90% (latency at fixed rates, open-loop)
 *        bun bench/compare.ts --preset latency
 *        bun bench/compare.ts --preset protocols (h2c, h2c-single, h2-tls, echo-ws, grpc)
 *        bun bench/compare.ts --diff results/A results/B
 *        (npm run compare -- --help for all options)
 * Wrap in `flock /tmp/hello-bench.lock` on a shared machine.
 * Writes results/<timestamp>/{report.json,report.md,capacity.svg,chart.svg,
 * sweep-*.svg,latency.svg,spectrum.svg,index.html}
 * and prints the Markdown tables on stdout.
 *
 * The steps, in order: plan (bench/lib/session/plan.ts), start the
 * servers, check their answers, throughput, latency, strace
 * (session/steps.ts, session/latency.ts), then the report
 * (session/report.ts, report/output.ts).
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseCompareArgs, USAGE, type CompareOptions } from "./lib/cli/compare-args.ts";
import { treePeakRss } from "./lib/measure/proc.ts";
import { runDiff } from "./lib/report/diff.ts";
import { writeReport, type Report } from "./lib/report/output.ts";
import type { Running } from "./lib/servers/kinds.ts";
import { latencyStep } from "./lib/session/latency.ts";
import { planSession, type Session } from "./lib/session/plan.ts";
import { assembleReport, type Measured } from "./lib/session/report.ts";
import { checkServers, startServers, stracePass, throughputPass } from "./lib/session/steps.ts";

const ROOT = resolve(import.meta.dir, "..");
const log = (msg: string) => process.stderr.write(`compare: ${msg}\n`);

/** --diff A B: compares two results directories, measures nothing. */
function diffStep(opts: CompareOptions): void {
  const out = resolve(ROOT, opts.out);
  const { md } = runDiff(resolve(ROOT, opts.diff![0]), resolve(ROOT, opts.diff![1]), { force: opts.force, out, root: ROOT });
  process.stdout.write(`${md}\nWritten: ${join(out, "diff.md")}, ${join(out, "diff.html")}\n`);
}

/** Every measuring step; the servers are stopped and the scratch directory removed whatever happens. */
async function measureStep(s: Session): Promise<Measured> {
  const running: Running[] = [];
  const stopAll = () => Promise.all(running.map((r) => r.stop()));
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  try {
    log(`${s.instances.length} servers × ${s.scenarios.length} scenarios, generator ${s.toolName}, server CPU ${s.cpus.server}, generator CPU ${s.cpus.generator}`);
    await startServers(s, running);
    const checked = await checkServers(s, running);
    const runs = await throughputPass(s, running, checked);
    const latency = await latencyStep(s, running, runs);
    const straces = await stracePass(s, running);
    for (const r of running) s.info.get(r.instance.key)!.peakRssBytes = treePeakRss(r.pid);
    return { runs, straces, latency };
  } finally {
    await stopAll();
    rmSync(s.tmp, { recursive: true, force: true });
  }
}

function writeStep(report: Report, out: string): void {
  const { stdout } = writeReport(out, report);
  const charts = `capacity.svg, chart.svg${(report.connections?.length ?? 1) > 1 ? ", sweep-*.svg" : ""}${report.latency?.summary.some((x) => x.validRuns > 0) ? ", latency.svg, spectrum.svg" : ""}`;
  process.stdout.write(`${stdout}\nMethod and raw runs: ${join(out, "report.md")}, report.json; charts: ${charts}; all in one page: ${join(out, "index.html")}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opts = parseCompareArgs(argv);
  if (opts.help) return void process.stdout.write(USAGE);
  if (opts.diff) return diffStep(opts);
  const session = planSession(opts, ROOT, log);
  const measured = await measureStep(session);
  writeStep(assembleReport(session, measured, argv), resolve(ROOT, opts.out));
}

main().catch((e: Error) => {
  process.stderr.write(`compare: ${e.message}\n`);
  process.exit(1);
});
